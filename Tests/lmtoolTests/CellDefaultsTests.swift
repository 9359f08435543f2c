import Foundation
import Testing

/// Every cell learns with `train`'s defaults: one epoch on the first 1,000 lines of Tiny
/// Shakespeare ends at a held-out perplexity below half the vocabulary size (a uniform
/// guess scores the vocabulary size). At the LSTM's learning rate of 20, the GRU ends
/// at 0.67x and the tanh RNN at 2.5x, worse than uniform.
@Suite struct CellDefaultsTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/corpora/tinyshakespeare")

    @Test(
        .enabled(if: FileManager.default.fileExists(atPath: corpus.path), "needs ../shared/corpora/tinyshakespeare"),
        arguments: ["lstm", "gru", "rnn-tanh", "rnn-relu"])
    func everyCellLearnsWithTheDefaults(cell: String) throws {
        let folder = try CommandRunner.temporaryDirectory()
        for (name, lines) in [("train", 1000), ("valid", 300)] {
            let text = try String(contentsOf: Self.corpus.appendingPathComponent("\(name).txt"), encoding: .utf8)
            let head = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(lines).joined(separator: "\n")
            try (head + "\n").write(to: folder.appendingPathComponent("\(name).txt"), atomically: true, encoding: .utf8)
        }
        let outcome = try CommandRunner.run(
            ["train", "train.txt", "--valid", "valid.txt", "--cell", cell, "--epochs", "1", "--embed", "64", "--hidden", "64",
             "--threads", "1", "--out", "m"], in: folder)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let vocabulary = try String(contentsOf: folder.appendingPathComponent("m/vocab.tsv"), encoding: .utf8)
            .split(separator: "\n").count
        let metrics = try String(contentsOf: folder.appendingPathComponent("m/metrics.jsonl"), encoding: .utf8)
        let validation = try #require(metrics.split(separator: "\n").last { $0.contains("\"kind\":\"valid\"") })
        let perplexity = try #require(
            (try JSONSerialization.jsonObject(with: Data(validation.utf8)) as? [String: Any])?["perplexity"] as? Double)
        #expect(perplexity < Double(vocabulary) / 2, "\(cell): perplexity \(perplexity), vocabulary \(vocabulary)")
    }
}
