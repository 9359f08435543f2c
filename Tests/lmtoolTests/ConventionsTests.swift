import Foundation
import Testing

/// Command-line conventions: `-` reads standard input; `--random-seed` is the seed's name
/// in every command (`--seed` too in `train` and `bench`, where it was the name before);
/// `train --help` groups its flags as the README does.
@Suite struct ConventionsTests {
    /// `tokenize -`, `vocab -` and `eval -` print what they print for the file itself
    /// (`vocab` names the text "standard input").
    @Test func dashReadsStandardInputForTokenizeVocabAndEval() throws {
        let (folder, _, corpus) = try WorkflowTests.trainedModel()
        let text = try Data(contentsOf: corpus)
        for command in [["tokenize"], ["vocab", "--top", "5"], ["eval", "--json"]] {
            let fromFile = try CommandRunner.run([command[0], corpus.path] + command.dropFirst(), in: folder)
            let fromInput = try CommandRunner.run([command[0], "-"] + command.dropFirst(), in: folder, standardInput: text)
            #expect(fromFile.status == 0 && fromInput.status == 0, "\(command): \(fromInput.standardError)")
            let expected = fromFile.standardOutput.replacingOccurrences(of: corpus.path, with: "standard input")
            #expect(fromInput.standardOutput == expected, "\(command)")
            #expect(!fromInput.standardOutput.isEmpty)
        }
    }

    /// `train -` reads the corpus from standard input into `models/stdin` (and
    /// `models/latest`), the same model as from the file.
    @Test func trainDashReadsTheCorpusFromStandardInputIntoModelsStdin() throws {
        let (folder, model, corpus) = try WorkflowTests.trainedModel()
        let outcome = try CommandRunner.run(
            ["train", "-", "--seed", "5"] + CommandRunner.tinyModelFlags, in: folder, standardInput: try Data(contentsOf: corpus))
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput.contains("model directory: models/stdin"))
        let stdinModel = folder.appendingPathComponent("models/stdin")
        #expect(
            try Data(contentsOf: stdinModel.appendingPathComponent("model.safetensors"))
                == Data(contentsOf: model.appendingPathComponent("model.safetensors")))
        let latest = try FileManager.default.destinationOfSymbolicLink(atPath: folder.appendingPathComponent("models/latest").path)
        #expect(latest == "stdin")
    }

    /// Bad text on standard input is reported like a bad file, naming "standard input".
    @Test func badStandardInputIsNamedInTheError() throws {
        let (folder, _, _) = try WorkflowTests.trainedModel()
        let invalid = Data("caf".utf8 + [0xE9] + Data(" au lait\n".utf8))
        let cases: [(Data, String)] = [
            (Data(), "standard input: the file is empty"),
            (invalid, "standard input: invalid UTF-8 at line 1, byte offset 3"),
            (Data([0x7F, 0x45, 0x4C, 0x46, 0, 0, 1]), "standard input: looks like a binary file (NUL byte at byte offset 4)"),
        ]
        for (input, message) in cases {
            for command in [["train", "-", "--out", "models/bad"], ["eval", "-"], ["tokenize", "-"], ["vocab", "-"]] {
                let outcome = try CommandRunner.run(command, in: folder, standardInput: input)
                #expect(outcome.status == 1, "\(command): status \(outcome.status)")
                #expect(outcome.errorLines.count == 1, "\(command): \(outcome.standardError)")
                #expect(outcome.errorLines.first?.hasPrefix("lmtool: error: " + message) == true, "\(command): \(outcome.standardError)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("models/bad/model.safetensors").path))
    }

    /// `train --random-seed 5` is `train --seed 5` (the older name, as `trainedModel` trains).
    @Test func trainTakesTheSeedAsRandomSeedOrSeed() throws {
        let (folder, model, corpus) = try WorkflowTests.trainedModel()
        let renamed = folder.appendingPathComponent("models/renamed")
        let outcome = try CommandRunner.run(
            ["train", corpus.path, "--out", renamed.path, "--random-seed", "5"] + CommandRunner.tinyModelFlags, in: folder)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(
            try Data(contentsOf: renamed.appendingPathComponent("model.safetensors"))
                == Data(contentsOf: model.appendingPathComponent("model.safetensors")))
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: renamed.appendingPathComponent("config.json"))) as? [String: Any]
        #expect((config?["training"] as? [String: Any])?["seed"] as? Int == 5)
    }

    /// The long flags named in `text`.
    static func flags(in text: Substring) -> Set<String> {
        var flags = Set<String>()
        var rest = text[...]
        while let start = rest.range(of: "--") {
            let name = rest[start.lowerBound...].prefix { $0 == "-" || $0.isLetter || $0.isNumber }
            flags.insert(String(name))
            rest = rest[name.endIndex...]
        }
        return flags
    }

    /// `train --help` has one section per row of the README's table of training flags
    /// (data, text, model, training), holding exactly the flags of that row; only `--help`
    /// and `--version` are left ungrouped.
    @Test func trainHelpGroupsItsFlagsAsTheReadmeTable() throws {
        let readme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        var documented: [String: Set<String>] = [:]
        for group in ["data", "text", "model", "training"] {
            let row = try #require(readme.split(separator: "\n").first { $0.hasPrefix("| \(group) | `--") }, "README row \(group)")
            documented[group.uppercased()] = Self.flags(in: row)
        }
        let help = try CommandRunner.run(["train", "--help"])
        #expect(help.status == 0)
        var sections: [String: Set<String>] = [:]
        var section = ""
        for line in help.standardOutput.split(separator: "\n") {
            if let first = line.first, first.isUppercase, line.hasSuffix(":") {
                section = String(line.dropLast())
            } else if line.hasPrefix("  -") {
                // The names before the value placeholder or the description.
                let names = line.dropFirst(2).prefix { $0 != "<" }.components(separatedBy: "  ")[0]
                sections[section, default: []].formUnion(Self.flags(in: names[...]))
            }
        }
        for (group, flags) in documented {
            #expect(sections[group] == flags, "\(group): help \(sections[group] ?? []), README \(flags)")
        }
        #expect(sections["OPTIONS"] == ["--help", "--version"])
    }
}
