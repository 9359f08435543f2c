import ArgumentParser

/// `lmtool bench`: speed measurements, kept apart from the tests (timings on a shared
/// machine are noisy; medians of repeated runs are reported).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput: the text pipeline, models and the BLAS kernels.",
        subcommands: [BenchModelCommand.self, BenchTextCommand.self, BenchBLASCommand.self],
        defaultSubcommand: BenchModelCommand.self)
}
