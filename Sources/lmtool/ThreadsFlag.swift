import ArgumentParser
import LMTensor

/// `--threads`: the size of lmtool's one thread pool, which runs OpenBLAS's products too.
struct ThreadsFlag: ParsableArguments {
    @Option(parsing: .unconditional, help: "Threads for OpenBLAS and lmtool (default: the cores available).")
    var threads: Int?

    /// Checks the value and applies it to ``ComputeThreads``.
    func apply() throws {
        guard let threads else { return }
        if threads < 1 { throw CommandError.flag("--threads", "must be at least 1") }
        ComputeThreads.set(threads)
    }
}
