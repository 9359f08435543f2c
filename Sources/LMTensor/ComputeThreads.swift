import COpenBLAS
import CThreadPool
import Foundation

/// The one thread setting for numeric work, and the one pool of threads that does it.
///
/// lmtool's own loops and every OpenBLAS product run on `CThreadPool`'s threads, with
/// OpenBLAS itself single-threaded: two pools would each keep idle threads spinning on
/// the same cores (OpenBLAS's workers poll for about a tenth of a second after every
/// call), taking turns with the threads doing the work. The pool's workers start a job in
/// well under a microsecond, which the recurrent layers need: they run one short job per
/// time step.
public enum ComputeThreads {
    /// Cores available to this process.
    public static var available: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Threads in use; defaults to ``available``.
    public static var count: Int {
        _ = started
        return thread_pool_threads()
    }

    /// Threads the next job should be split between: ``count``, or 1 while the pool runs
    /// jobs on the calling thread alone after a worker held one up (another process on the
    /// cores), and inside a part of another job. Split decisions read this, not ``count``: a job cut into parts that then
    /// run one after another would pay for every part (each part of a split product copies
    /// its share of an operand) and gain nothing. How a job is split never changes what it
    /// computes.
    package static var forNextJob: Int {
        _ = started
        return thread_pool_threads_for_next_job()
    }

    /// Sets the thread count for lmtool's work, OpenBLAS's included (1 or more).
    public static func set(_ threads: Int) {
        precondition(threads >= 1, "thread count must be at least 1")
        _ = started
        thread_pool_set_threads(threads)
    }

    /// The first use of the pool: OpenBLAS made single-threaded, the default thread count
    /// applied.
    private static let started: Void = {
        openblas_set_num_threads(1)
        thread_pool_set_threads(ProcessInfo.processInfo.activeProcessorCount)
    }()
}

extension ComputeThreads {
    /// Runs `body(part)` for every part in `0..<parts`, in parallel on the pool's threads
    /// (this one runs part 0), and returns when all have finished. The parts must touch
    /// disjoint memory; callers choose `parts` ≤ ``count`` (more run one after another on
    /// this thread). Runs the parts one after another when ``OptimisedPaths/enabled`` is
    /// off, or when called from inside another part.
    package static func forEach(parts: Int, long: Bool = false, _ body: (Int) -> Void) {
        guard parts > 1 && OptimisedPaths.enabled else {
            for part in 0..<max(parts, 0) { body(part) }
            return
        }
        _ = started
        withoutActuallyEscaping(body) { body in
            var body = body
            withUnsafeMutablePointer(to: &body) { context in
                let run = long ? thread_pool_run_long : thread_pool_run
                run(parts, { context, part in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(part)
                }, context)
            }
        }
    }
}

extension ComputeThreads {
    /// Runs `body` on `0..<count` cut into contiguous ranges, one per thread, or on the whole
    /// range on this thread when `splitting` is false or there is a single item.
    package static func forEachRange(of count: Int, splitting: Bool, _ body: (Range<Int>) -> Void) {
        let parts = splitting ? min(forNextJob, count) : 1
        forEach(parts: parts) { part in body((count * part / parts)..<(count * (part + 1) / parts)) }
    }

    /// The `part`-th of `parts` near-even ranges of `0..<count`, each starting at a multiple
    /// of 16: cut so, the columns of a row-major Float matrix's rows or the matrix's rows
    /// give no two threads a cache line (64 bytes) to share.
    package static func alignedRange(_ part: Int, of parts: Int, count: Int) -> Range<Int> {
        let blocks = (count + 15) / 16
        return min(count, blocks * part / parts * 16)..<min(count, blocks * (part + 1) / parts * 16)
    }
}
