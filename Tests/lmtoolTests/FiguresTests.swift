import Foundation
import Testing

/// Figures that cannot mislead: bits per character for every tokenizer, on the same
/// characters, and a warning beside a perplexity that is mostly `<unk>`.
@Suite struct FiguresTests {
    @Test func everyTokenizerReportsBitsPerCharacterOfTheSameText() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus, lines: 300)
        for tokenizer in ["word", "char", "whitespace"] {
            let model = folder.appendingPathComponent("models/\(tokenizer)")
            let trained = try CommandRunner.run(
                ["train", corpus.path, "--out", model.path, "--tokenizer", tokenizer] + CommandRunner.tinyModelFlags, in: folder)
            #expect(trained.status == 0, "\(trained.standardError)")
            #expect(trained.standardOutput.contains("bits per character"), "\(tokenizer): \(trained.standardOutput)")
            let evaluation = try CommandRunner.run(["eval", corpus.path, "--model", model.path, "--json"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(evaluation.standardOutput.utf8)) as? [String: Any])
            let characters = try String(contentsOf: corpus, encoding: .utf8).unicodeScalars.count  // line ends included
            #expect(report["characters"] as? Int == characters, "\(tokenizer)")
            let bits = try #require(report["bits_per_character"] as? Double)
            #expect(bits > 0 && bits < 8, "\(tokenizer): \(bits)")
            let text = try CommandRunner.run(["eval", corpus.path, "--model", model.path])
            #expect(text.standardOutput.contains("bits per character"))
        }
    }

    @Test func aMostlyUnknownTextIsFlaggedBesideItsPerplexity() throws {
        let (folder, model, corpus) = try WorkflowTests.trainedModel()
        let foreign = folder.appendingPathComponent("foreign.txt")
        try String(repeating: "오늘 날씨가 좋네요 the mat\n", count: 20).write(to: foreign, atomically: true, encoding: .utf8)
        let evaluation = try CommandRunner.run(["eval", foreign.path, "--model", model.path, "--json"])
        #expect(evaluation.status == 0)
        #expect(evaluation.errorLines.count == 1, "\(evaluation.standardError)")
        #expect(evaluation.standardError.contains("50.0% of \(foreign.path)'s tokens are out of the vocabulary"), "\(evaluation.standardError)")
        let report = try JSONSerialization.jsonObject(with: Data(evaluation.standardOutput.utf8)) as? [String: Any]
        #expect(report?["oov_rate"] as? Double == 0.5)
        let known = try CommandRunner.run(["eval", corpus.path, "--model", model.path])
        #expect(known.standardError.isEmpty, "\(known.standardError)")

        let validated = try CommandRunner.run(
            ["train", corpus.path, "--valid", foreign.path, "--out", folder.appendingPathComponent("v").path] + CommandRunner.tinyModelFlags,
            in: folder)
        #expect(validated.status == 0, "\(validated.standardError)")
        #expect(validated.standardError.contains("of the validation text's tokens are out of the vocabulary"), "\(validated.standardError)")
    }
}
