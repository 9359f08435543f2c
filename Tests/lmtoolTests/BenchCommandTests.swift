import Foundation
import Testing

/// `lmtool bench`: the figures are timings (not checked here), but the reports' shape,
/// counts and keys are, since scripts and BENCHMARKS.md read them.
@Suite struct BenchCommandTests {
    private func jsonObject(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func textBenchmarkCountsTheRepeatedText() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let file = folder.appendingPathComponent("small.txt")
        // 20 bytes and 5 word tokens (4 words and <eos>) per line.
        try String(repeating: "one two three four.\n", count: 10).write(to: file, atomically: true, encoding: .utf8)
        let outcome = try CommandRunner.run(["bench", "text", file.path, "--megabytes", "0.001", "--repeats", "1", "--json"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = try jsonObject(outcome.standardOutput)
        let text = try #require(report["text"] as? [[String: Any]])
        #expect(text.count == 1)
        #expect(text[0]["bytes"] as? Int == 1000)
        #expect(text[0]["tokens"] as? Int == 50 * 6)
        #expect(text[0]["types"] as? Int == 7)  // <unk>, <eos>, four words and "."
        #expect((text[0]["megabytes_per_s"] as? Double ?? 0) > 0)
    }

    @Test func modelBenchmarkReportsTheDocumentedKeys() throws {
        let outcome = try CommandRunner.run([
            "bench", "--cell", "gru", "--layers", "1", "--embed", "8", "--hidden", "8", "--vocab", "50", "--batch", "2",
            "--bptt", "4", "--windows", "2", "--generate-tokens", "5", "--repeats", "1", "--threads", "1", "--random-seed", "3", "--json",
        ])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = try jsonObject(outcome.standardOutput)
        for key in ["train_tokens_per_s", "eval_tokens_per_s", "generate_tokens_per_s", "train_bf16_tokens_per_s", "eval_bf16_tokens_per_s", "generate_bf16_tokens_per_s", "peak_rss_mb"] {
            #expect((report[key] as? Double ?? 0) > 0, "\(key)")
        }
        #expect(report["threads"] as? Int == 1)
        #expect((report["blas_core"] as? String)?.isEmpty == false)
        // Losses with and without the packed recurrent product (taken here: bptt 4, batch 2).
        let difference = try #require(report["loss_relative_difference"] as? Double)
        #expect(difference <= 1e-4)
        let model = try #require(report["model"] as? [String: Any])
        #expect(model["cell"] as? String == "gru")
        #expect(model["vocabularySize"] as? Int == 50)
    }

    /// The adaptive softmax on log-uniform ids: every figure, bfloat16 ones included, and
    /// the same losses with and without the fast paths.
    @Test func modelBenchmarkTakesTheAdaptiveSoftmaxAndZipfIds() throws {
        let outcome = try CommandRunner.run([
            "bench", "--embed", "8", "--hidden", "16", "--vocab", "50", "--softmax", "adaptive", "--cutoffs", "10,30", "--zipf",
            "--batch", "2", "--bptt", "4", "--windows", "2", "--generate-tokens", "5", "--repeats", "1", "--threads", "1", "--json",
        ])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = try jsonObject(outcome.standardOutput)
        for key in ["train_tokens_per_s", "eval_tokens_per_s", "generate_tokens_per_s", "train_bf16_tokens_per_s", "generate_bf16_tokens_per_s"] {
            #expect((report[key] as? Double ?? 0) > 0, "\(key)")
        }
        #expect(report["zipf_ids"] as? Bool == true)
        #expect(try #require(report["loss_relative_difference"] as? Double) <= 1e-4)
        let model = try #require(report["model"] as? [String: Any])
        #expect(model["softmax"] as? String == "adaptive" && model["cutoffs"] as? [Int] == [10, 30])
    }

    /// Two threads and `[B, H]` steps large enough (70 × 64) for every fast path to split its
    /// work: products cut into blocks, the packed recurrent product, element-wise steps by
    /// batch rows. The losses must match those of the same work done on one thread, with
    /// one OpenBLAS product per step (that the blocks cover all the work is tested in
    /// LMTensorTests).
    @Test(arguments: ["lstm", "gru", "rnn-tanh"])
    func fastPathsThatSplitWorkKeepTheLosses(cell: String) throws {
        let outcome = try CommandRunner.run([
            "bench", "--cell", cell, "--embed", "16", "--hidden", "64", "--vocab", "100", "--batch", "70", "--bptt", "5",
            "--eval-batch", "70", "--windows", "1", "--generate-tokens", "2", "--repeats", "1", "--threads", "2", "--json",
        ])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = try jsonObject(outcome.standardOutput)
        #expect(report["threads"] as? Int == 2)
        let difference = try #require(report["loss_relative_difference"] as? Double)
        #expect(difference <= 1e-5)
    }

    /// Also the proof that results do not depend on the kernel beyond float rounding: every
    /// OpenBLAS kernel the CPU supports, and lmtool's blocked kernel on each of its vector
    /// instruction sets, computes odd-sized and model-sized products in each
    /// transposition the layers use to 1e-5 of a Float64 reference (Float32 sums of up to
    /// 199 products of values in [−1, 1] round to about 1e-6 of the result's scale).
    @Test func blasCalibrationMeasuresAndChecksEveryCandidateKernel() throws {
        let outcome = try CommandRunner.run(["bench", "blas", "--repeats", "1", "--threads", "1", "--json"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let report = try jsonObject(outcome.standardOutput)
        let kernels = try #require(report["kernels"] as? [[String: Any]])
        let names = kernels.compactMap { $0["kernel"] as? String }
        #expect(names.contains("Prescott"))  // the fallback every x86-64 CPU runs
        let info = try CommandRunner.run(["info"]).standardOutput
        let hasAVX2 = info.split(separator: "\n").contains { $0.hasPrefix("CPU features") && $0.contains("AVX2") }
        #expect(names.contains { $0.hasPrefix("blocked ") } == hasAVX2)  // the blocked kernel needs AVX2 at least
        for kernel in kernels {
            let figures = try #require(kernel["gigaflops"] as? [Double])
            #expect(figures.count == 5 && figures.allSatisfy { $0 > 0 })
            let error = try #require(kernel["max_relative_error"] as? Double)
            #expect(error < 1e-5, "\(kernel["kernel"] ?? "?")")
        }
        let stepKernels = try #require(report["step_kernels"] as? [[String: Any]])
        #expect(stepKernels.last?["instruction_set"] as? String == "portable C")
        for kernel in stepKernels {
            let figures = try #require(kernel["gigaflops"] as? [Double])
            #expect(figures.count == 3 && figures.allSatisfy { $0 > 0 })
        }
    }

    @Test func badBenchmarkFlagsAreOneLineErrors() throws {
        for arguments in [["bench", "--vocab", "1"], ["bench", "--repeats", "0"], ["bench", "text", "/no/such/file"]] {
            let outcome = try CommandRunner.run(arguments)
            #expect(outcome.status != 0)
            #expect(outcome.errorLines.count == 1, "\(arguments): \(outcome.standardError)")
        }
    }
}
