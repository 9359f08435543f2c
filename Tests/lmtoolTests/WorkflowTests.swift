import Foundation
import Testing

/// `train` → `generate` → `eval` → `tokenize --ids` end to end on a small corpus, and what a
/// model directory holds afterwards.
@Suite struct WorkflowTests {
    static func trainedModel() throws -> (folder: URL, model: URL, corpus: URL) {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus)
        let model = folder.appendingPathComponent("models/small")
        let outcome = try CommandRunner.run(["train", corpus.path, "--out", model.path, "--seed", "5"] + CommandRunner.tinyModelFlags, in: folder)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        return (folder, model, corpus)
    }

    @Test func trainWritesTheModelDirectoryAndLatest() throws {
        let (folder, model, _) = try Self.trainedModel()
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: model.path))
        #expect(files.isSuperset(of: ["config.json", "vocab.tsv", "model.safetensors", "checkpoint.safetensors", "metrics.jsonl", "training-curve.svg"]))
        let latest = try FileManager.default.destinationOfSymbolicLink(atPath: folder.appendingPathComponent("models/latest").path)
        #expect(latest == "small")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: model.appendingPathComponent("config.json"))) as? [String: Any]
        #expect(config?["format"] as? String == "lmtool-model")
        #expect((config?["model"] as? [String: Any])?["hiddenSize"] as? Int == 16)
        let metrics = try String(contentsOf: model.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(metrics.contains("\"kind\":\"valid\"") && metrics.contains("\"blas_core\""))
        let svg = try String(contentsOf: model.appendingPathComponent("training-curve.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("polyline"))
    }

    @Test func generateAndEvalUseModelsLatest() throws {
        let (folder, _, corpus) = try Self.trainedModel()
        let generated = try CommandRunner.run(["generate", "--seed", "the cat", "--tokens", "20", "--random-seed", "3"], in: folder)
        #expect(generated.status == 0, "\(generated.standardError)")
        #expect(generated.standardOutput.hasPrefix("the cat"))
        let again = try CommandRunner.run(["generate", "--seed", "the cat", "--tokens", "20", "--random-seed", "3"], in: folder)
        #expect(again.standardOutput == generated.standardOutput)
        let json = try CommandRunner.run(["generate", "--tokens", "5", "--json", "--greedy"], in: folder)
        let samples = (try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])?["samples"] as? [[String: Any]]
        #expect((samples?.first?["tokens"] as? [String])?.count == 5)
        #expect((samples?.first?["log_probabilities"] as? [Double])?.allSatisfy { $0 <= 0 } == true)
        let beam = try CommandRunner.run(["generate", "--tokens", "6", "--beam", "3"], in: folder)
        #expect(beam.status == 0)

        let evaluation = try CommandRunner.run(["eval", corpus.path, "--json"], in: folder)
        let report = try JSONSerialization.jsonObject(with: Data(evaluation.standardOutput.utf8)) as? [String: Any]
        let perplexity = try #require(report?["perplexity"] as? Double)
        #expect(perplexity > 1 && perplexity < 12)  // 12 words + <eos>: learning shows
        for key in ["cross_entropy_nats", "bits_per_token", "tokens", "oov_rate"] { #expect(report?[key] != nil) }
    }

    /// `--bf16`: the model runs its products in bfloat16, one stream (matrix-vector
    /// products) or several (products of several rows); the perplexity moves by the
    /// rounding only, and the model file is not touched.
    @Test func bf16EvaluatesAndGeneratesWithRoundedWeights() throws {
        let (folder, model, corpus) = try Self.trainedModel()
        let weights = try Data(contentsOf: model.appendingPathComponent("model.safetensors"))
        func perplexity(_ flags: [String]) throws -> Double {
            let outcome = try CommandRunner.run(["eval", corpus.path, "--json"] + flags, in: folder)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let report = try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any]
            return try #require(report?["perplexity"] as? Double)
        }
        for streams in [[], ["--batch", "4"]] {
            let (full, reduced) = (try perplexity(streams), try perplexity(streams + ["--bf16"]))
            #expect(reduced != full && abs(reduced - full) < 0.02 * full, "\(streams) Float32 \(full), bfloat16 \(reduced)")
        }
        let generated = try CommandRunner.run(["generate", "--bf16", "--seed", "the cat", "--tokens", "20", "--random-seed", "3"], in: folder)
        #expect(generated.status == 0, "\(generated.standardError)")
        #expect(generated.standardOutput.hasPrefix("the cat") && generated.standardOutput.count > "the cat".count + 10)
        #expect(try Data(contentsOf: model.appendingPathComponent("model.safetensors")) == weights)
    }

    /// `train --bf16`: mixed-precision training learns, says so, records it in the model's
    /// config (so `--resume` keeps it), gives the same model for the same seed, and a
    /// different one from Float32 training.
    @Test func bf16TrainsInMixedPrecisionDeterministically() throws {
        let (folder, floatModel, corpus) = try Self.trainedModel()
        var weights: [Data] = []
        for name in ["mixed", "again"] {
            let model = folder.appendingPathComponent("models/\(name)")
            let outcome = try CommandRunner.run(
                ["train", corpus.path, "--out", model.path, "--seed", "5", "--bf16"] + CommandRunner.tinyModelFlags, in: folder)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.standardOutput.contains("products in bfloat16 (--bf16)"))
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: model.appendingPathComponent("config.json"))) as? [String: Any]
            #expect((config?["training"] as? [String: Any])?["bfloat16Products"] as? Bool == true)
            weights.append(try Data(contentsOf: model.appendingPathComponent("model.safetensors")))
        }
        #expect(weights[0] == weights[1], "the same seed gives the same model")
        #expect(weights[0] != (try Data(contentsOf: floatModel.appendingPathComponent("model.safetensors"))))
        let evaluation = try CommandRunner.run(["eval", corpus.path, "--json", "--model", "models/mixed"], in: folder)
        let report = try JSONSerialization.jsonObject(with: Data(evaluation.standardOutput.utf8)) as? [String: Any]
        let perplexity = try #require(report?["perplexity"] as? Double)
        #expect(perplexity > 1 && perplexity < 12)
    }

    @Test func unknownSeedWordsAreNamedOnce() throws {
        let (folder, _, _) = try Self.trainedModel()
        let outcome = try CommandRunner.run(["generate", "--seed", "the zebra and okapi", "--tokens", "3"], in: folder)
        #expect(outcome.status == 0)
        #expect(outcome.errorLines.count == 1 && outcome.standardError.contains("zebra okapi"))
    }

    @Test func tokenizeWithAModelPrintsTheIdsItScores() throws {
        let (folder, model, _) = try Self.trainedModel()
        let text = folder.appendingPathComponent("two.txt")
        try "the cat\nzebra\n".write(to: text, atomically: true, encoding: .utf8)
        let outcome = try CommandRunner.run(["tokenize", text.path, "--model", model.path, "--ids"])
        let lines = outcome.standardOutput.split(separator: "\n").map { $0.split(separator: " ").map { Int($0) ?? -1 } }
        #expect(lines.count == 2 && lines[0].count == 3 && lines[1] == [0, 1])
    }

    @Test func trainingOverAModelNeedsOverwrite() throws {
        let (folder, model, corpus) = try Self.trainedModel()
        let weights = try Data(contentsOf: model.appendingPathComponent("model.safetensors"))
        let again = ["train", corpus.path, "--out", model.path, "--seed", "6"] + CommandRunner.tinyModelFlags
        let refused = try CommandRunner.run(again, in: folder)
        #expect(refused.status == 1)
        #expect(refused.errorLines.count == 1 && refused.standardError.contains("already holds a model; continue it with --resume"))
        #expect(try Data(contentsOf: model.appendingPathComponent("model.safetensors")) == weights)
        let replaced = try CommandRunner.run(again + ["--overwrite"], in: folder)
        #expect(replaced.status == 0, "\(replaced.standardError)")
        #expect(try Data(contentsOf: model.appendingPathComponent("model.safetensors")) != weights)
    }

    @Test func theSameSeedAndThreadsGiveTheSameModelFile() throws {
        let first = try Self.trainedModel(), second = try Self.trainedModel()
        let a = try Data(contentsOf: first.model.appendingPathComponent("model.safetensors"))
        let b = try Data(contentsOf: second.model.appendingPathComponent("model.safetensors"))
        #expect(a == b)
    }
}
