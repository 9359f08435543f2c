import ArgumentParser
import LMTensor

/// `--threads`: the size of lmtool's one thread pool, which runs OpenBLAS's products too.
struct ThreadsFlag: ParsableArguments {
    @Option(parsing: .unconditional, help: "Threads for OpenBLAS and lmtool (default: the cores available).")
    var threads: Int?

    mutating func validate() throws {
        if let threads, threads < 1 { throw CommandError.flag("--threads", "must be at least 1") }
    }

    /// Applies the value to ``ComputeThreads``.
    func apply() {
        guard let threads else { return }
        ComputeThreads.set(threads)
    }
}
