import ArgumentParser
import LMTensor
import LMText

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print versions, the BLAS kernel in use and why, threads and CPU features.")

    func run() {
        let cpu = CPUFeatures.current
        print("lmtool          \(LMToolVersion.current)")
        print("Swift           \(LMToolVersion.swift)")
        print("ICU             \(ICUInfo.version)")
        print("OpenBLAS        \(BLASKernel.configuration)")
        print("BLAS kernel     \(BLASKernel.current) (\(BLASKernel.reason.rawValue))")
        print("threads         \(ComputeThreads.count) of \(ComputeThreads.available) available")
        print("CPU             \(cpu.brand) (\(cpu.vendor.rawValue), family \(cpu.family), model \(cpu.model))")
        print("CPU features    \(cpu.featureNames.joined(separator: " "))")
        print("best kernel     \(BLASKernel.choose(for: cpu) ?? "OpenBLAS's own")")
    }
}
