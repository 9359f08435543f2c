import COpenBLAS
import Foundation

/// The one thread setting for numeric work: OpenBLAS's thread pool and lmtool's own
/// parallel element-wise loops both follow it, so the two never oversubscribe the cores.
public enum ComputeThreads {
    nonisolated(unsafe) private static var configured: Int?

    /// Cores available to this process.
    public static var available: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Threads in use; defaults to ``available``.
    public static var count: Int { configured ?? available }

    /// Sets the thread count for OpenBLAS and lmtool (1 or more).
    public static func set(_ threads: Int) {
        precondition(threads >= 1, "thread count must be at least 1")
        configured = threads
        openblas_set_num_threads(Int32(threads))
    }
}

extension ComputeThreads {
    /// Runs `body(part)` for every part in `0..<parts`, in parallel (libdispatch's pool,
    /// at most `parts` at once), and returns when all have finished. The parts must
    /// touch disjoint memory; callers choose `parts` ≤ ``count``. Runs the parts one after
    /// another when ``OptimisedPaths/enabled`` is off.
    public static func forEach(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1 && OptimisedPaths.enabled else {
            for part in 0..<max(parts, 0) { body(part) }
            return
        }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: parts) { body($0) }
        }
    }
}
