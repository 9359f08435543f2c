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
        // Refused before the command runs: no model directory is made.
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("m").path))
    }

    /// A negative number is a value, not a flag: it reaches the command's range check,
    /// which names the flag and its range and exits with status 1 (not the parser's
    /// "missing value", status 64). The check runs before the command (ArgumentParser's
    /// `validate()`), and its line ends like a parse error's, pointing to the help.
    @Test func negativeNumbersReachTheRangeCheck() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus, lines: 10)
        let train = ["train", corpus.path, "--out", folder.appendingPathComponent("m").path]
        let cases: [([String], String)] = [
            (["generate", "--temperature", "-1"], "--temperature must be positive"),
            (["generate", "--top-k", "-2"], "--top-k must be at least 1"), (["generate", "--top-p", "-0.5"], "--top-p must be in (0, 1]"),
            (["generate", "--tokens", "-5"], "--tokens must be at least 1"), (["generate", "--lines", "-1"], "--lines must be at least 1"),
            (["generate", "--count", "-1"], "--count must be at least 1"), (["generate", "--beam", "-4"], "--beam must be at least 1"),
            (["generate", "--random-seed", "-3"], "--random-seed must be an integer in [0, 18446744073709551615]"),
            (["generate", "--random-seed", "18446744073709551616"], "--random-seed must be an integer in [0, "),
            (["generate", "--threads", "-1"], "--threads must be at least 1"),
            (train + ["--max-minutes", "-1"], "--max-minutes must be positive"), (train + ["--lr", "-0.5"], "--lr must be positive"),
            (train + ["--clip", "-1"], "--clip must not be negative"), (train + ["--dropout", "-0.1"], "--dropout must be in [0, 1)"),
            (train + ["--weight-decay", "-1"], "--weight-decay must not be negative"), (train + ["--epochs", "-1"], "--epochs must be at least 1"),
            (train + ["--batch", "-20"], "--batch must be at least 1"), (train + ["--bptt", "-35"], "--bptt must be at least 1"),
            (train + ["--layers", "-2"], "--layers must be at least 1"), (train + ["--embed", "-1"], "--embed must be at least 1"),
            (train + ["--hidden", "-1"], "--hidden must be at least 1"), (train + ["--valid-fraction", "-0.1"], "--valid-fraction must be in (0, 1)"),
            (train + ["--min-count", "-1"], "--min-count must be at least 1"), (train + ["--max-vocab", "-1"], "--max-vocab must be at least 3"),
            (train + ["--anneal", "-4"], "--anneal must be at least 1"), (train + ["--patience", "-1"], "--patience must be at least 1"),
            (train + ["--log-every", "-1"], "--log-every must be at least 1"),
            (train + ["--accumulate", "-1"], "--accumulate must be at least 1"),
            (train + ["--unk-alpha", "-1"], "--unk-alpha must be a finite number, at least 0"),
            (train + ["--tokenizer", "subword", "--unk-alpha", "1"], "--unk-alpha does not apply to --tokenizer subword"),
            (train + ["--checkpoint-every", "-1"], "--checkpoint-every must be at least 1"),
            (train + ["--max-token-length", "-1"], "--max-token-length must be at least 1"),
            (train + ["--random-seed", "-1"], "--random-seed must be an integer in [0, "),
            (train + ["--seed", "-1"], "--random-seed must be an integer in [0, "),
            (["eval", corpus.path, "--batch", "-1"], "--batch must be at least 1"), (["eval", corpus.path, "--bptt", "-1"], "--bptt must be at least 1"),
            (["eval", corpus.path, "--cache", "-1"], "--cache must be at least 1"),
            (["eval", corpus.path, "--batch", "4", "--shards", "5"], "--shards must be from 1 to --batch 4"),
            (["eval", corpus.path, "--shards", "-1"], "--shards must be from 1 to --batch 1"),
            (["eval", corpus.path, "--batch", "4", "--shards", "2", "--cache", "9", "--cache-theta", "1", "--cache-lambda", "0.1"],
             "--shards does not apply with --cache"),
            (["eval", corpus.path, "--cache", "9", "--cache-theta", "-1", "--cache-lambda", "0.1"], "--cache-theta must be above 0"),
            (["eval", corpus.path, "--cache", "9", "--cache-theta", "1", "--cache-lambda", "-0.1"], "--cache-lambda must be from 0 to 1"),
            (["eval", corpus.path, "--cache", "9"], "--cache needs --cache-tune-on FILE, or --cache-theta and --cache-lambda"),
            (["eval", corpus.path, "--cache-theta", "1"], "--cache-theta needs --cache N"),
            (["eval", corpus.path, "--cache", "9", "--cache-tune-on", corpus.path, "--cache-lambda", "0.5"],
             "--cache-tune-on chooses θ and λ; give it or --cache-theta and --cache-lambda, not both"),
            (["vocab", corpus.path, "--top", "-1"], "--top must not be negative"),
            (["tokenize", corpus.path, "--max-token-length", "-3"], "--max-token-length must be at least 1"),
            (["bench", "--random-seed", "-9"], "--random-seed must be an integer in [0, "),
            (["bench", "--repeats", "-1"], "--repeats must be at least 1"), (["bench", "--vocab", "-1"], "--vocab must be at least 2"),
            (["bench", "text", corpus.path, "--megabytes", "-1"], "--megabytes must be in (0, 10000]"),
            (["bench", "blas", "--repeats", "-1"], "--repeats must be at least 1"),
        ]
        for (arguments, message) in cases {
            let outcome = try CommandRunner.run(arguments, in: folder)
            expectOneLineError(outcome, containing: ["lmtool: error: " + message])
            #expect(outcome.standardError.hasSuffix(" (see 'lmtool help')\n"), "\(arguments): \(outcome.standardError)")
            #expect(outcome.status == 1, "\(arguments): status \(outcome.status)")
        }
    }

    /// What the parser cannot read at all (an unknown flag, a value that is no number, a
    /// flag without its value) is a usage error: one line, status 64 (EX_USAGE).
    @Test func parseErrorsAreOneLineWithTheUsageStatus() throws {
        let cases: [([String], String)] = [
            (["generate", "--temprature", "0.5"], "--temprature"), (["generate", "--temperature", "warm"], "warm"),
            (["generate", "--random-seed", "seven"], "seven"), (["generate", "--tokens"], "--tokens"),
        ]
        for (arguments, fragment) in cases {
            let outcome = try CommandRunner.run(arguments)
            expectOneLineError(outcome, containing: [fragment])
            #expect(outcome.status == 64, "\(arguments): status \(outcome.status)")
        }
    }
}
