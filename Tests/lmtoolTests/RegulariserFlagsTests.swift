import Foundation
import Testing

/// `train`'s AWD-LSTM flags: recorded in config.json, deterministic for a seed, fixed on
/// resume, and range-checked by name.
@Suite struct RegulariserFlagsTests {
    static let awdFlags = [
        "--dropout-input", "0.3", "--dropout-hidden", "0.25", "--dropout-output", "0.4", "--weight-drop", "0.5",
        "--embedding-dropout", "0.1", "--ar", "2", "--tar", "1",
    ]

    @Test func theFlagsAreRecordedAndTheSameSeedGivesTheSameModel() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus)
        var weights: [Data] = []
        for name in ["a", "b"] {
            let model = folder.appendingPathComponent("models/\(name)")
            let outcome = try CommandRunner.run(
                ["train", corpus.path, "--out", model.path, "--seed", "5", "--layers", "2"] + CommandRunner.tinyModelFlags
                    + Self.awdFlags, in: folder)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            weights.append(try Data(contentsOf: model.appendingPathComponent("model.safetensors")))
        }
        #expect(weights[0] == weights[1])
        let config = try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("models/a/config.json"))) as? [String: Any]
        let model = try #require(config?["model"] as? [String: Any])
        let recorded = ["inputDropout", "hiddenDropout", "outputDropout", "weightDrop", "embeddingDropout", "activationPenalty", "temporalActivationPenalty"]
            .map { model[$0] as? Double }
        #expect(recorded == [0.3, 0.25, 0.4, 0.5, 0.1, 2, 1])

        let resumed = try CommandRunner.run(["train", "--resume", "models/a", "--weight-drop", "0.2"], in: folder)
        #expect(resumed.status != 0)
        #expect(resumed.standardError.contains("--weight-drop cannot change when resuming"))
        let evaluation = try CommandRunner.run(["eval", corpus.path, "--model", "models/a"], in: folder)
        #expect(evaluation.status == 0, "\(evaluation.standardError)")
    }

    /// `--optimizer nt-asgd`: says when it starts averaging, logs it, keeps the rate (no
    /// annealing by default) and records the interval.
    @Test func ntASGDSaysWhenItStartsAveraging() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus)
        let outcome = try CommandRunner.run(
            ["train", corpus.path, "--out", "m", "--seed", "5"] + CommandRunner.tinyModelFlags
                + ["--epochs", "10", "--optimizer", "nt-asgd", "--nonmono", "1", "--lr", "20"], in: folder)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput.contains("validation stopped improving (NT-ASGD): from now on the weights are averaged"))
        #expect(!outcome.standardOutput.contains("learning rate now"))
        let metrics = try String(contentsOf: folder.appendingPathComponent("m/metrics.jsonl"), encoding: .utf8)
        #expect(metrics.contains("\"kind\":\"averaging\""))
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("m/config.json"))) as? [String: Any]
        let training = try #require(config?["training"] as? [String: Any])
        #expect(training["optimizer"] as? String == "nt-asgd" && training["nonmonotoneInterval"] as? Int == 1)
        #expect(training["annealFactor"] as? Double == 1)
    }

    @Test(arguments: [
        (["--nonmono", "0"], "--nonmono must be at least 1"),
        (["--weight-drop", "1"], "--weight-drop must be in [0, 1)"),
        (["--dropout-hidden", "-0.5"], "--dropout-hidden must be in [0, 1)"),
        (["--embedding-dropout", "nan"], "--embedding-dropout must be in [0, 1)"),
        (["--ar", "-1"], "--ar must be a number ≥ 0"),
        (["--tar", "inf"], "--tar must be a number ≥ 0"),
    ])
    func outOfRangeValuesAreRefusedByName(flags: [String], message: String) throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus)
        let outcome = try CommandRunner.run(["train", corpus.path] + flags, in: folder)
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains(message), "\(outcome.standardError)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("models").path))
    }
}
