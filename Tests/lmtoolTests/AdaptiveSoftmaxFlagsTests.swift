import Foundation
import Testing

/// `train --softmax adaptive --cutoffs`: the model trains, evaluates and generates; config.json
/// records the choice and model.safetensors holds PyTorch's names; resume refuses a change;
/// `--cutoffs` alone means the adaptive softmax; bad cutoffs are one line naming `--cutoffs`.
@Suite struct AdaptiveSoftmaxFlagsTests {
    /// The corpus of ``CommandRunner/writeCorpus(to:lines:)`` has 10 ids (8 words): a head
    /// of 4 and clusters of 4 and 2 tokens, projected to 16 / 4 and 16 / 16 units.
    static let adaptiveFlags = ["--softmax", "adaptive", "--cutoffs", "4,8"]

    @Test func anAdaptiveModelTrainsEvaluatesAndGenerates() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus)
        let trained = try CommandRunner.run(
            ["train", corpus.path, "--out", "models/adaptive", "--seed", "5"] + CommandRunner.tinyModelFlags + Self.adaptiveFlags,
            in: folder)
        #expect(trained.status == 0, "\(trained.standardError)")
        let directory = folder.appendingPathComponent("models/adaptive")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("config.json"))) as? [String: Any]
        let model = try #require(config?["model"] as? [String: Any])
        #expect(model["softmax"] as? String == "adaptive")
        #expect(model["cutoffs"] as? [Int] == [4, 8])
        // The safetensors header names the tensors as PyTorch's AdaptiveLogSoftmaxWithLoss does.
        let weights = try Data(contentsOf: directory.appendingPathComponent("model.safetensors"))
        let headerLength = weights.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = String(decoding: weights.dropFirst(8).prefix(headerLength), as: UTF8.self)
        for name in ["decoder.head.weight", "decoder.tail.0.0.weight", "decoder.tail.0.1.weight", "decoder.tail.1.1.weight"] {
            #expect(header.contains("\"\(name)\""), "\(name) missing from \(header)")
        }
        #expect(!header.contains("\"decoder.weight\""))

        let evaluation = try CommandRunner.run(["eval", corpus.path, "--model", "models/adaptive", "--json"], in: folder)
        #expect(evaluation.status == 0, "\(evaluation.standardError)")
        let scores = try JSONSerialization.jsonObject(with: Data(evaluation.standardOutput.utf8)) as? [String: Any]
        let perplexity = try #require(scores?["perplexity"] as? Double)
        // Learnt something: far below the uniform distribution's 10.
        #expect(perplexity > 1 && perplexity < 10)
        let generated = try CommandRunner.run(
            ["generate", "--model", "models/adaptive", "--tokens", "20", "--random-seed", "3"], in: folder)
        #expect(generated.status == 0, "\(generated.standardError)")
        #expect(!generated.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)

        for change in [["--cutoffs", "4,10"], ["--softmax", "full"]] {
            let resumed = try CommandRunner.run(["train", "--resume", "models/adaptive"] + change, in: folder)
            #expect(resumed.status != 0)
            #expect(resumed.errorLines.count == 1, "\(resumed.standardError)")
            #expect(resumed.standardError.contains("\(change[0]) cannot change when resuming"), "\(resumed.standardError)")
        }
        // --cutoffs alone asks for the adaptive softmax.
        let implied = try CommandRunner.run(
            ["train", corpus.path, "--out", "models/implied", "--seed", "5", "--cutoffs", "4,8"] + CommandRunner.tinyModelFlags,
            in: folder)
        #expect(implied.status == 0, "\(implied.standardError)")
        #expect(
            try Data(contentsOf: folder.appendingPathComponent("models/implied/model.safetensors"))
                == Data(contentsOf: directory.appendingPathComponent("model.safetensors")))
    }

    @Test(arguments: [
        (["--softmax", "adaptive", "--cutoffs", "4,10"], "--cutoffs) must be increasing, at least 1 and below the vocabulary size, 10"),
        (["--softmax", "adaptive", "--cutoffs", "8,4"], "--cutoffs must be increasing whole numbers"),
        (["--softmax", "adaptive", "--cutoffs", "4,x"], "--cutoffs must be increasing whole numbers"),
        (["--softmax", "adaptive", "--cutoffs", "2,4,8"], "--cutoffs makes 3 tail clusters"),
        (["--softmax", "adaptive"], "--softmax adaptive needs --cutoffs"),
        (["--softmax", "full", "--cutoffs", "4,8"], "--cutoffs needs --softmax adaptive"),
        (["--softmax", "adaptive", "--cutoffs", "4", "--tie-weights"], "--tie-weights needs --softmax full"),
    ])
    func badCutoffsAreOneLineNamingTheFlag(flags: [String], message: String) throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus)
        let outcome = try CommandRunner.run(["train", corpus.path] + CommandRunner.tinyModelFlags + flags, in: folder)
        #expect(outcome.status == 1)
        #expect(outcome.errorLines.count == 1, "\(outcome.standardError)")
        #expect(outcome.standardError.contains(message), "\(outcome.standardError)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("models/train/model.safetensors").path))
    }
}
