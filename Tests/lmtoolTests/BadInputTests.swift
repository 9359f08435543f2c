import Foundation
import Testing

/// Bad input, command by command: one line on stderr naming the file and the place,
/// a non-zero exit, no trap or stack dump, and no half-written output.
@Suite struct BadInputTests {
    func expectOneLineError(_ outcome: CommandRunner.Outcome, containing fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.status != 0, sourceLocation: sourceLocation)
        #expect(outcome.errorLines.count == 1, "stderr: \(outcome.standardError)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(outcome.standardError.contains(fragment), "stderr: \(outcome.standardError)", sourceLocation: sourceLocation)
        }
        #expect(!outcome.standardError.contains("Fatal error") && !outcome.standardError.contains("Stack dump"), sourceLocation: sourceLocation)
    }

    @Test func corpusMissingDirectoryEmptyInvalidOrBinary() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let empty = folder.appendingPathComponent("empty.txt")
        try Data().write(to: empty)
        let invalid = folder.appendingPathComponent("latin1.txt")
        try Data("caf".utf8 + [0xE9] + Data(" au lait\n".utf8)).write(to: invalid)
        let binary = folder.appendingPathComponent("program.bin")
        try Data([0x7F, 0x45, 0x4C, 0x46, 0, 0, 1]).write(to: binary)
        let cases: [(String, [String])] = [
            (folder.appendingPathComponent("missing.txt").path, ["missing.txt", "no such file"]),
            (folder.path, ["is a directory"]),
            (empty.path, ["empty.txt", "empty"]),
            (invalid.path, ["latin1.txt", "invalid UTF-8 at line 1, byte offset 3"]),
            (binary.path, ["program.bin", "binary", "byte offset 4"]),
        ]
        for (path, fragments) in cases {
            for command in [["train", path, "--out", folder.appendingPathComponent("m").path], ["tokenize", path], ["vocab", path]] {
                expectOneLineError(try CommandRunner.run(command), containing: fragments)
            }
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("m/model.safetensors").path))
    }

    @Test func corpusShorterThanOneBatchWindow() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("short.txt")
        try "just three words\n".write(to: corpus, atomically: true, encoding: .utf8)
        let outcome = try CommandRunner.run(["train", corpus.path, "--batch", "20", "--out", folder.appendingPathComponent("m").path])
        expectOneLineError(outcome, containing: ["too short", "--batch"])
    }

    @Test func validationTextWithNoKnownTokens() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus)
        let valid = folder.appendingPathComponent("valid.txt")
        try "zebra quagga\nokapi\n".write(to: valid, atomically: true, encoding: .utf8)
        let outcome = try CommandRunner.run(
            ["train", corpus.path, "--valid", valid.path, "--out", folder.appendingPathComponent("m").path] + CommandRunner.tinyModelFlags)
        expectOneLineError(outcome, containing: ["valid.txt", "no token"])
    }

    @Test func flagsOutOfRange() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus, lines: 10)
        let train = ["train", corpus.path, "--out", folder.appendingPathComponent("m").path]
        let cases: [([String], String)] = [
            (train + ["--layers", "0"], "--layers"), (train + ["--dropout", "-0.1"], "--dropout"),
            (train + ["--dropout", "1"], "--dropout"), (train + ["--batch", "0"], "--batch"), (train + ["--bptt", "0"], "--bptt"),
            (train + ["--tie-weights", "--embed", "10", "--hidden", "20"], "--tie-weights"),
            (["generate", "--top-p", "0"], "--top-p"), (["generate", "--top-p", "1.5"], "--top-p"),
            (["generate", "--temperature", "0"], "--temperature"), (["generate", "--temperature", "-1"], "--temperature"),
            (["eval", corpus.path, "--batch", "0"], "--batch"), (["eval", corpus.path, "--threads", "0"], "--threads"),
            (["generate", "--threads", "0"], "--threads"),
        ]
        for (arguments, flag) in cases {
            expectOneLineError(try CommandRunner.run(arguments, in: folder), containing: [flag])
        }
    }
}
