import ArgumentParser
import LMDistributed
import LMTensor
import LMText

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print versions, the BLAS kernel in use and why, threads, CPU features and MPI.")

    /// What explains a run's speed and results (`lmtool --version` prints the version alone).
    static var report: String {
        let cpu = CPUFeatures.current
        return """
            lmtool          \(LMToolVersion.current)
            Swift           \(LMToolVersion.swift)
            ICU             \(ICUInfo.version)
            OpenBLAS        \(BLASKernel.configuration)
            BLAS kernel     \(BLASKernel.current) (\(BLASKernel.reason.rawValue))
            products        \(MatrixMultiply.engine)
            threads         \(ComputeThreads.count) of \(ComputeThreads.available) available
            CPU             \(cpu.brand) (\(cpu.vendor.rawValue), family \(cpu.family), model \(cpu.model))
            CPU features    \(cpu.featureNames.joined(separator: " "))
            best kernel     \(BLASKernel.choose(for: cpu) ?? "OpenBLAS's own")
            MPI             \(ProcessGroup.libraryVersion); \(ProcessGroup.launcher().map { "mpirun \($0): mpirun -np N lmtool train trains on N processes" } ?? "mpirun is not on PATH: one process only (install openmpi-bin)")
            """
    }

    func run() {
        print(Self.report)
    }
}
