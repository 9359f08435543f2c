import Foundation
import Testing

/// `lmtool info` says which OpenBLAS kernel runs and why; `--version` says only the version.
@Suite struct InfoCommandTests {
    static func field(_ name: String, in text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(name) }.map { $0.dropFirst(name.count).trimmingCharacters(in: .whitespaces) }
    }

    @Test func aKernelTheUserSetIsRespected() throws {
        let outcome = try CommandRunner.run(["info"], environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(outcome.status == 0)
        #expect(Self.field("BLAS kernel", in: outcome.standardOutput) == "Prescott (set by the user (OPENBLAS_CORETYPE))")
    }

    /// Products run on lmtool's blocked kernel where OpenBLAS's kernel is narrower than the
    /// CPU's AVX-512, on OpenBLAS otherwise.
    @Test func productsAvoidAnOpenBLASKernelNarrowerThanTheCPU() throws {
        let outcome = try CommandRunner.run(["info"], environment: ["OPENBLAS_CORETYPE": "Haswell"])
        #expect(outcome.status == 0)
        let features = try #require(Self.field("CPU features", in: outcome.standardOutput))
        let expected = features.contains("AVX-512") ? "lmtool blocked kernel, AVX-512" : "OpenBLAS Haswell"
        #expect(Self.field("products", in: outcome.standardOutput) == expected)
    }

    /// Unset, or set to nothing (`OPENBLAS_CORETYPE= lmtool …`), which a shell user means as unset.
    @Test(arguments: [nil, ""] as [String?])
    func withoutTheVariableLmtoolChoosesTheBestKernel(setting: String?) throws {
        let outcome = try CommandRunner.run(["info"], environment: ["OPENBLAS_CORETYPE": setting])
        #expect(outcome.status == 0)
        let best = try #require(Self.field("best kernel", in: outcome.standardOutput))
        let running = try #require(Self.field("BLAS kernel", in: outcome.standardOutput))
        if best == "OpenBLAS's own" {
            #expect(running.hasSuffix("(OpenBLAS's own choice)"))
        } else {
            #expect(running == "\(best) (chosen by lmtool)")
        }
        for name in ["lmtool", "Swift", "ICU", "OpenBLAS", "threads", "CPU features"] {
            #expect(Self.field(name, in: outcome.standardOutput)?.isEmpty == false, "\(name)")
        }
    }

    /// `--version` prints one line, `lmtool` and the version `info` reports; `info` keeps
    /// its table.
    @Test func versionIsOneLineAndInfoKeepsTheTable() throws {
        let version = try CommandRunner.run(["--version"])
        #expect(version.status == 0 && version.standardError.isEmpty)
        let info = try CommandRunner.run(["info"])
        let number = try #require(Self.field("lmtool", in: info.standardOutput))
        #expect(version.standardOutput == "lmtool \(number)\n")
        for name in ["BLAS kernel", "threads", "CPU features", "MPI"] {
            #expect(Self.field(name, in: info.standardOutput)?.isEmpty == false, "\(name)")
        }
    }

    /// `info` names the Open MPI library, and says whether `mpirun` is there to start a
    /// data-parallel run.
    @Test func infoSaysWhetherMPIIsAvailable() throws {
        let found = Self.field("MPI", in: try CommandRunner.run(["info"]).standardOutput)
        #expect(found?.hasPrefix("Open MPI v") == true, "\(found ?? "no MPI line")")
        let missing = Self.field("MPI", in: try CommandRunner.run(["info"], environment: ["PATH": "/nonexistent"]).standardOutput)
        #expect(missing?.hasSuffix("; mpirun is not on PATH: one process only (install openmpi-bin)") == true, "\(missing ?? "no MPI line")")
    }
}
