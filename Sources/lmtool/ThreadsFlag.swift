import ArgumentParser
import LMTensor

/// `--threads`: the one setting for OpenBLAS's threads and lmtool's own.
struct ThreadsFlag: ParsableArguments {
    @Option(help: "Threads for OpenBLAS and lmtool (default: the cores available).")
    var threads: Int?

    /// Checks the value and applies it to ``ComputeThreads``.
    func apply() throws {
        guard let threads else { return }
        if threads < 1 { throw CommandError.flag("--threads", "must be at least 1") }
        ComputeThreads.set(threads)
    }
}
