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

    @Test func anUnknownPresetIsRefusedNamingTheChoices() throws {
        let outcome = try Self.trainedModelSettings(["--preset", "huge"])
        #expect(outcome.status != 0)
        #expect(outcome.error.contains("huge") && outcome.error.contains("small") && outcome.error.contains("medium"))
    }
}
