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

    @Test func unknownWordsArePaidForInBitsPerCharacter() throws {
        let (folder, model, _) = try WorkflowTests.trainedModel()
        let foreign = folder.appendingPathComponent("foreign.txt")
        try String(repeating: "오늘 날씨가 좋네요 the mat\n", count: 20).write(to: foreign, atomically: true, encoding: .utf8)
        func report(_ arguments: [String]) throws -> [String: Double] {
            let outcome = try CommandRunner.run(arguments + ["--json"])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let object = try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any]
            return try #require(object?.compactMapValues { ($0 as? NSNumber)?.doubleValue })
        }
        let evaluation = try report(["eval", foreign.path, "--model", model.path])
        let spelling = try #require(evaluation["unknown_spelling_bits"])
        // Eight Hangul syllables a line that the English vocabulary has never seen: each
        // costs at least the uniform base's 20.1 bits.
        #expect(spelling > 20 * 8 * log2(1_112_065.0))
        let (bitsPerToken, tokens, characters) = (evaluation["bits_per_token"]!, evaluation["tokens"]!, evaluation["characters"]!)
        // One stream scores every token but the first; the figure extends to all of them.
        let bits = try #require(evaluation["bits_per_character"])
        #expect(abs(bits * characters - (bitsPerToken * (tokens + 1) + spelling)) < 1e-9 * bits * characters)

        // Validation lines pay the same: the saved model's validation figure is eval's in
        // validation's layout (10 streams, the training windows).
        let validated = folder.appendingPathComponent("v")
        let trained = try CommandRunner.run(
            ["train", folder.appendingPathComponent("train.txt").path, "--valid", foreign.path, "--out", validated.path]
                + CommandRunner.tinyModelFlags, in: folder)
        #expect(trained.status == 0, "\(trained.standardError)")
        let records = try String(contentsOf: validated.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let validation = try #require(records.last { $0["kind"] as? String == "valid" })
        let layout = try report(["eval", foreign.path, "--model", validated.path, "--batch", "10", "--bptt", "8"])
        let validationPerplexity = try #require(validation["perplexity"] as? Double)
        #expect(abs(layout["perplexity"]! - validationPerplexity) < 1e-6 * validationPerplexity)
        let validationBits = try #require(validation["bits_per_character"] as? Double)
        #expect(abs(layout["bits_per_character"]! - validationBits) < 1e-6 * validationBits)
        #expect(validationBits > spelling / characters)
    }
}
