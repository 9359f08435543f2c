import Foundation
import Testing

/// `eval --cache N` through the CLI: θ and λ chosen on a held-out text, the figure with the
/// cache and the one without, in text and JSON.
@Suite struct EvalCacheTests {
    /// Lines of words drawn from `words` alone: a text that keeps to a few of the
    /// vocabulary's words, as a scene keeps to its names.
    static func text(of words: [String], lines: Int, seed: Int) -> String {
        (0..<lines).map { line in
            (0..<8).map { words[(line * 7 + $0 * 5 + seed + line * $0) % words.count] }.joined(separator: " ")
        }.joined(separator: "\n") + "\n"
    }

    @Test func theCacheLowersThePerplexityOfATextThatKeepsToFewWords() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus, lines: 150)
        let model = folder.appendingPathComponent("models/m")
        let trained = try CommandRunner.run(
            ["train", corpus.path, "--out", model.path] + CommandRunner.tinyModelFlags + ["--epochs", "2"], in: folder)
        #expect(trained.status == 0, "\(trained.standardError)")
        let tuning = folder.appendingPathComponent("tuning.txt")
        try Self.text(of: ["cat", "mat", "ran"], lines: 40, seed: 1).write(to: tuning, atomically: true, encoding: .utf8)
        let scored = folder.appendingPathComponent("scored.txt")
        try Self.text(of: ["dog", "park", "sat"], lines: 40, seed: 2).write(to: scored, atomically: true, encoding: .utf8)

        let json = try CommandRunner.run(
            ["eval", scored.path, "--model", model.path, "--cache", "60", "--cache-tune-on", tuning.path, "--json"],
            in: folder)
        #expect(json.status == 0, "\(json.standardError)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let withCache = try #require(report["perplexity"] as? Double)
        let withoutCache = try #require(report["perplexity_without_cache"] as? Double)
        #expect(withCache < 0.7 * withoutCache, "\(withCache) with the cache, \(withoutCache) without")
        #expect(report["cache_size"] as? Int == 60)
        let lambda = try #require(report["cache_lambda"] as? Double)
        #expect(lambda > 0 && lambda <= 1)
        let plain = try CommandRunner.run(["eval", scored.path, "--model", model.path, "--json"], in: folder)
        let plainReport = try #require(try JSONSerialization.jsonObject(with: Data(plain.standardOutput.utf8)) as? [String: Any])
        let plainPerplexity = try #require(plainReport["perplexity"] as? Double)
        #expect(abs(plainPerplexity - withoutCache) < 1e-5 * plainPerplexity, "the figure without the cache is eval's")

        let theta = try #require(report["cache_theta"] as? Double)
        let given = try CommandRunner.run(
            ["eval", scored.path, "--model", model.path, "--cache", "60", "--cache-theta", "\(theta)",
             "--cache-lambda", "\(lambda)"], in: folder)
        #expect(given.status == 0, "\(given.standardError)")
        #expect(given.standardOutput.contains(String(format: "perplexity          %.3f", withCache)), "\(given.standardOutput)")
        #expect(given.standardOutput.contains("without the cache   perplexity"))
    }

    @Test func aMissingTuningTextIsNamed() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus, lines: 60)
        let model = folder.appendingPathComponent("models/m")
        _ = try CommandRunner.run(["train", corpus.path, "--out", model.path] + CommandRunner.tinyModelFlags, in: folder)
        let outcome = try CommandRunner.run(
            ["eval", corpus.path, "--model", model.path, "--cache", "10", "--cache-tune-on", "no-such-text.txt"], in: folder)
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains("no-such-text.txt"), "\(outcome.standardError)")
        #expect(outcome.standardError.split(separator: "\n").count == 1, "\(outcome.standardError)")
    }
}
