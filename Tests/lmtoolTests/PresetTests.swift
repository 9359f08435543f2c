import Foundation
import Testing

/// `train --preset NAME`: the preset's flags apply, flags given beside it override them
/// (the boolean ones through their `--no-` forms), unknown names and resumes are refused.
@Suite struct PresetTests {
    static func trainedModelSettings(_ flags: [String]) throws -> (status: Int32, error: String, model: [String: Any]) {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus)
        let outcome = try CommandRunner.run(["train", corpus.path, "--out", "m"] + flags, in: folder)
        let config = try? JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("m/config.json"))) as? [String: Any]
        return (outcome.status, outcome.standardError, config?["model"] as? [String: Any] ?? [:])
    }

    @Test func aPresetSetsItsFlagsAndFlagsBesideItWin() throws {
        // The tiny flags (--embed 16 --hidden 16) override the preset's 650.
        let medium = try Self.trainedModelSettings(["--preset", "medium"] + CommandRunner.tinyModelFlags)
        #expect(medium.status == 0, "\(medium.error)")
        #expect(medium.model["dropout"] as? Double == 0.5)
        #expect(medium.model["tieWeights"] as? Bool == true)
        #expect(medium.model["hiddenSize"] as? Int == 16)
        let untied = try Self.trainedModelSettings(
            CommandRunner.tinyModelFlags + ["--preset=medium", "--no-tie-weights", "--dropout", "0.1"])
        #expect(untied.status == 0, "\(untied.error)")
        #expect(untied.model["tieWeights"] as? Bool == false)
        #expect(untied.model["dropout"] as? Double == 0.1)
        let small = try Self.trainedModelSettings(["--preset", "small"] + CommandRunner.tinyModelFlags)
        #expect(small.model["dropout"] as? Double == 0.2)
        #expect(small.model["tieWeights"] as? Bool == false)
    }

    /// `awd`'s stack narrows to its tied embedding; scaled down here, it trains, saves,
    /// loads for `eval` and `generate`, with every regulariser recorded.
    @Test func theAWDPresetTrainsAWideStackNarrowingToItsEmbedding() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus)
        let outcome = try CommandRunner.run(
            ["train", corpus.path, "--out", "m", "--preset", "awd", "--embed", "12", "--hidden", "20", "--last-hidden", "12",
             "--batch", "4", "--bptt", "8", "--epochs", "1", "--threads", "1"], in: folder)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("m/config.json"))) as? [String: Any]
        let model = try #require(config?["model"] as? [String: Any])
        #expect(model["layers"] as? Int == 3 && model["lastHiddenSize"] as? Int == 12 && model["tieWeights"] as? Bool == true)
        #expect(model["weightDrop"] as? Double == 0.5 && model["inputDropout"] as? Double == 0.65)
        #expect((config?["training"] as? [String: Any])?["optimizer"] as? String == "nt-asgd")
        #expect((config?["training"] as? [String: Any])?["variableWindowLength"] as? Bool == true)
        let evaluation = try CommandRunner.run(["eval", corpus.path, "--model", "m"], in: folder)
        #expect(evaluation.status == 0, "\(evaluation.standardError)")
        let generated = try CommandRunner.run(["generate", "--model", "m", "--tokens", "5", "--random-seed", "2"], in: folder)
        #expect(generated.status == 0, "\(generated.standardError)")
        let untied = try CommandRunner.run(["train", corpus.path, "--out", "n", "--preset", "awd", "--embed", "16"], in: folder)
        #expect(untied.standardError.contains("--tie-weights needs --embed equal to --last-hidden"))
    }

    @Test func anUnknownPresetIsRefusedNamingTheChoices() throws {
        let outcome = try Self.trainedModelSettings(["--preset", "huge"])
        #expect(outcome.status != 0)
        #expect(outcome.error.contains("huge") && outcome.error.contains("small") && outcome.error.contains("medium"))
    }
}
