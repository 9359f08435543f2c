import Foundation
import Testing

/// `train --unk-alpha α` through the CLI: recorded in `config.json`, and a model trained
/// with it scores a text with words it never saw better than the same model without it.
@Suite struct UnknownWordAlphaTests {
    @Test func aModelTrainedWithUnkAlphaExpectsUnknownWords() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus, lines: 150)
        // The corpus's sentences with every third word one the vocabulary cannot know.
        let unseen = try String(contentsOf: corpus, encoding: .utf8).split(separator: "\n").prefix(40).enumerated()
            .map { line, text in
                text.split(separator: " ").enumerated().map { $0 % 3 == 2 ? "zq\(line)x\($0)" : String($1) }
                    .joined(separator: " ")
            }
        let heldOut = folder.appendingPathComponent("unseen.txt")
        try (unseen.joined(separator: "\n") + "\n").write(to: heldOut, atomically: true, encoding: .utf8)
        func perplexity(alpha: String) throws -> Double {
            let model = folder.appendingPathComponent("models/alpha-\(alpha)")
            let trained = try CommandRunner.run(
                ["train", corpus.path, "--out", model.path] + CommandRunner.tinyModelFlags
                    + ["--epochs", "3", "--unk-alpha", alpha], in: folder)
            #expect(trained.status == 0, "\(trained.standardError)")
            let config = try JSONSerialization.jsonObject(
                with: Data(contentsOf: model.appendingPathComponent("config.json"))) as? [String: Any]
            #expect((config?["training"] as? [String: Any])?["unknownWordAlpha"] as? Double == Double(alpha))
            let scored = try CommandRunner.run(["eval", heldOut.path, "--model", model.path, "--json"], in: folder)
            #expect(scored.status == 0, "\(scored.standardError)")
            let json = try JSONSerialization.jsonObject(with: Data(scored.standardOutput.utf8)) as? [String: Any]
            return try #require(json?["perplexity"] as? Double)
        }
        let without = try perplexity(alpha: "0")
        let with = try perplexity(alpha: "1")
        #expect(with < 0.8 * without, "perplexity \(with) with --unk-alpha 1, \(without) without")
    }
}
