import Foundation
import Testing

@testable import LMStore

/// A damaged or mismatched model directory is refused with one line naming the file and
/// the place, for every command that loads a model.
@Suite struct ModelDirectoryFaultTests {
    /// A freshly trained model copied to a scratch folder for one test to damage.
    static func damagedCopy(_ damage: (URL) throws -> Void) throws -> (model: URL, text: URL) {
        let (folder, model, corpus) = try WorkflowTests.trainedModel()
        let copy = folder.appendingPathComponent("damaged")
        try FileManager.default.copyItem(at: model, to: copy)
        try damage(copy)
        return (copy, corpus)
    }

    func expectRefused(_ model: URL, text: URL, fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for command in [["eval", text.path], ["generate", "--tokens", "3"]] {
            let outcome = try CommandRunner.run(command + ["--model", model.path])
            #expect(outcome.status != 0, sourceLocation: sourceLocation)
            #expect(outcome.errorLines.count == 1, "\(outcome.standardError)", sourceLocation: sourceLocation)
            for fragment in fragments {
                #expect(outcome.standardError.contains(fragment), "\(outcome.standardError)", sourceLocation: sourceLocation)
            }
        }
    }

    static func editConfig(_ folder: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: url)
    }

    @Test func missingFiles() throws {
        for file in ["config.json", "vocab.tsv"] {
            let (model, text) = try Self.damagedCopy { try FileManager.default.removeItem(at: $0.appendingPathComponent(file)) }
            try expectRefused(model, text: text, fragments: [file, "no such file"])
        }
        let (bare, text) = try Self.damagedCopy { folder in
            for file in ["model.safetensors", "checkpoint.safetensors"] { try FileManager.default.removeItem(at: folder.appendingPathComponent(file)) }
        }
        try expectRefused(bare, text: text, fragments: ["model.safetensors", "no such file"])
        // With a checkpoint, the run has not validated yet (ResumeTests).
    }

    @Test func configOfAFutureOrUnknownVersion() throws {
        let (future, text) = try Self.damagedCopy { try Self.editConfig($0) { $0["formatVersion"] = 99 } }
        try expectRefused(future, text: text, fragments: ["config.json", "format version 99 is newer"])
        let (foreign, _) = try Self.damagedCopy { try Self.editConfig($0) { $0["format"] = "something-else" } }
        try expectRefused(foreign, text: text, fragments: ["config.json", "not an lmtool model config"])
        let (garbage, _) = try Self.damagedCopy { try Data("{{{".utf8).write(to: $0.appendingPathComponent("config.json")) }
        try expectRefused(garbage, text: text, fragments: ["config.json", "not a JSON object"])
    }

    /// A forged config cannot make loading allocate what the weights file could not fill.
    @Test func configDeclaringAHugeModelIsRefusedBeforeAllocating() throws {
        for hidden in [200_000, Int.max / 2] {
            let (huge, text) = try Self.damagedCopy { try Self.editConfig($0) { config in
                var model = config["model"] as? [String: Any] ?? [:]
                model["hiddenSize"] = hidden
                config["model"] = model
            } }
            try expectRefused(huge, text: text, fragments: ["config.json", "parameters, more than model.safetensors"])
        }
    }

    @Test func vocabularyWhoseSizeDoesNotMatch() throws {
        let (model, text) = try Self.damagedCopy { folder in
            let url = folder.appendingPathComponent("vocab.tsv")
            try (String(contentsOf: url, encoding: .utf8) + "extra\t1\n").write(to: url, atomically: true, encoding: .utf8)
        }
        try expectRefused(model, text: text, fragments: ["vocab.tsv", "declares a vocabulary of"])
    }

    @Test func truncatedOrForgedWeights() throws {
        let (truncated, text) = try Self.damagedCopy { folder in
            let url = folder.appendingPathComponent("model.safetensors")
            try Data(contentsOf: url).prefix(1000).write(to: url)
        }
        // The weights file is named as the damaged one, not config.json.
        try expectRefused(truncated, text: text, fragments: ["damaged/model.safetensors: bad data layout", "past the data's"])
        let (forged, _) = try Self.damagedCopy { folder in
            let url = folder.appendingPathComponent("model.safetensors")
            var data = try Data(contentsOf: url)
            data.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 50).littleEndian) { Data($0) })
            try data.write(to: url)
        }
        try expectRefused(forged, text: text, fragments: ["model.safetensors", "header length"])
    }

    @Test func weightsOfAnotherShapeOrCellType() throws {
        let (resized, text) = try Self.damagedCopy { try Self.editConfig($0) { config in
            var model = config["model"] as? [String: Any] ?? [:]
            model["hiddenSize"] = 12  // smaller: a larger one is refused by size first (below)
            config["model"] = model
        } }
        try expectRefused(resized, text: text, fragments: ["model.safetensors", "shape"])
        let (gru, _) = try Self.damagedCopy { try Self.editConfig($0) { config in
            var model = config["model"] as? [String: Any] ?? [:]
            model["cell"] = "gru"
            config["model"] = model
        } }
        try expectRefused(gru, text: text, fragments: ["model.safetensors", "belongs to a LSTM model, but config.json says gru"])
    }

    @Test func aSecondTrainingRunOnTheSameDirectoryIsRefused() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus)
        let model = folder.appendingPathComponent("busy")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let lock = try DirectoryLock(directory: model.path)
        defer { lock.release() }
        let outcome = try CommandRunner.run(["train", corpus.path, "--out", model.path] + CommandRunner.tinyModelFlags)
        #expect(outcome.status != 0)
        #expect(outcome.errorLines.count == 1 && outcome.standardError.contains("another lmtool process"))
    }
}
