import Foundation
import Testing

/// `lmtool generate`: flags that contradict each other, `--beam` with `--count`, and
/// `--lines` without `--tokens`.
@Suite struct GenerateCommandTests {
    /// The samples of `generate --json`: their tokens and log-probabilities.
    static func samples(_ outcome: CommandRunner.Outcome) throws -> [(tokens: [String], logProbabilities: [Double])] {
        let object = try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any]
        let samples = try #require(object?["samples"] as? [[String: Any]], "stdout: \(outcome.standardOutput)")
        return try samples.map {
            (try #require($0["tokens"] as? [String]), try #require($0["log_probabilities"] as? [Double]))
        }
    }

    /// Refused before any model is read (the folder holds none), one line naming both flags.
    @Test func contradictoryFlagsAreRefused() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let cases: [([String], String)] = [
            (["--greedy", "--temperature", "0.5"], "--greedy cannot be combined with --temperature"),
            (["--greedy", "--top-k", "3"], "--greedy cannot be combined with --top-k"),
            (["--top-p", "0.9", "--greedy"], "--greedy cannot be combined with --top-p"),
            (["--beam", "3", "--temperature", "0.5"], "--beam cannot be combined with --temperature"),
            (["--beam", "3", "--top-k", "2"], "--beam cannot be combined with --top-k"),
            (["--beam", "3", "--top-p", "0.5"], "--beam cannot be combined with --top-p"),
            (["--beam", "3", "--greedy"], "--beam cannot be combined with --greedy"),
            (["--random-seed", "1", "--beam", "3"], "--beam cannot be combined with --random-seed"),
            (["--beam", "2", "--count", "3"], "--count must be at most --beam"),
        ]
        for (flags, message) in cases {
            let outcome = try CommandRunner.run(["generate"] + flags, in: folder)
            #expect(outcome.status == 1, "\(flags): status \(outcome.status)")
            #expect(outcome.errorLines.first?.hasPrefix("lmtool: error: " + message) == true, "\(flags): \(outcome.standardError)")
            #expect(outcome.errorLines.count == 1, "\(flags): \(outcome.standardError)")
        }
    }

    /// `--beam N --count M`: the M best beams, distinct, best first; the first is what
    /// `--beam N` alone writes.
    @Test func beamWithCountWritesTheBestDistinctBeams() throws {
        let (folder, _, _) = try WorkflowTests.trainedModel()
        let outcome = try CommandRunner.run(["generate", "--beam", "4", "--count", "3", "--tokens", "6", "--json"], in: folder)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let beams = try Self.samples(outcome)
        #expect(beams.count == 3)
        #expect(Set(beams.map(\.tokens)).count == 3, "\(beams.map(\.tokens))")
        #expect(beams.allSatisfy { $0.tokens.count == 6 })
        let scores = beams.map { $0.logProbabilities.reduce(0, +) }
        #expect(zip(scores, scores.dropFirst()).allSatisfy { $0 >= $1 }, "\(scores)")
        let best = try Self.samples(try CommandRunner.run(["generate", "--beam", "4", "--tokens", "6", "--json"], in: folder))
        #expect(best.map(\.tokens) == [beams[0].tokens])

        let text = try CommandRunner.run(["generate", "--beam", "4", "--count", "3", "--tokens", "6"], in: folder)
        let paragraphs = text.standardOutput.split(separator: "\n\n", omittingEmptySubsequences: false)
        #expect(paragraphs.count == 3 && Set(paragraphs).count == 3, "\(text.standardOutput)")
    }

    /// A model trained on one short line (8 tokens with its `<eos>`) repeated: it ends its
    /// lines, sampled or searched.
    static func lineEndingModel() throws -> URL {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("lines.txt")
        try String(repeating: "the cat sat on the mat .\n", count: 600).write(to: corpus, atomically: true, encoding: .utf8)
        let outcome = try CommandRunner.run(
            ["train", corpus.path, "--out", "models/lines", "--seed", "5"] + CommandRunner.tinyModelFlags, in: folder)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        return folder
    }

    /// `--lines N` without `--tokens` writes N lines however many tokens they take (20
    /// lines of this model pass the default of 100 tokens); an explicit `--tokens` still
    /// limits.
    @Test func linesAreNotCutShortByTheDefaultTokenCount() throws {
        let folder = try Self.lineEndingModel()
        for decoding in [["--random-seed", "2"], ["--beam", "2"]] {
            let outcome = try CommandRunner.run(["generate", "--lines", "20", "--json"] + decoding, in: folder)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let tokens = try #require(try Self.samples(outcome).first).tokens
            #expect(tokens.count > 100, "\(decoding): \(tokens.count) tokens")
            #expect(tokens.count { $0 == "<eos>" } == 20 && tokens.last == "<eos>", "\(decoding): \(tokens)")
            let text = try CommandRunner.run(["generate", "--lines", "20"] + decoding, in: folder)
            #expect(text.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).count == 21, "\(text.standardOutput)")
        }
        let limited = try CommandRunner.run(["generate", "--lines", "20", "--tokens", "30", "--random-seed", "2", "--json"], in: folder)
        let tokens = try #require(try Self.samples(limited).first).tokens
        #expect(tokens.count == 30 && tokens.count { $0 == "<eos>" } < 20)
    }
}
