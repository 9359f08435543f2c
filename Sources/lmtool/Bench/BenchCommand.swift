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

extension BenchCommand {
    /// The middle value of a measurement's repeated runs (the mean of the two middle
    /// values for an even count): what every bench reports.
    static func median(_ values: [Double]) -> Double {
        precondition(!values.isEmpty, "median of no values")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
