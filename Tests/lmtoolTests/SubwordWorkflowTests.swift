import Foundation
import Testing

/// `--tokenizer subword` through the CLI: train on Korean, then generate, eval, tokenize
/// and vocab with the model's SentencePiece pieces; a damaged `tokenizer.model` is refused
/// naming the file.
@Suite struct SubwordWorkflowTests {
    /// Korean sentences with digits against Hangul, several scripts and spacing cases.
    static let koreanLines = [
        "오늘 12시에 만나요.", "3박4일 여행을 다녀왔어요!", "주말에 영화 보러 갈까요?", "저녁은 뭐 먹을까요?",
        "서울에서 부산까지 KTX로 2시간 40분 걸려요.", "날씨가 좋으면 산책해요.", "친구에게 선물을 주고 싶어요.",
    ]

    static func trainedModel(extraFlags: [String] = []) throws -> (folder: URL, model: URL, corpus: URL) {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        let text = (0..<400).map { koreanLines[$0 % koreanLines.count] }.joined(separator: "\n") + "\n"
        try text.write(to: corpus, atomically: true, encoding: .utf8)
        let model = folder.appendingPathComponent("models/korean")
        let outcome = try CommandRunner.run(
            ["train", corpus.path, "--out", model.path, "--tokenizer", "subword", "--vocab-size", "400"]
                + CommandRunner.tinyModelFlags + ["--epochs", "4"] + extraFlags, in: folder)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput.contains("subword model of"), "\(outcome.standardOutput)")
        #expect(outcome.standardOutput.contains("bits per character"), "\(outcome.standardOutput)")
        return (folder, model, corpus)
    }

    @Test func trainStoresTheSentencePieceModelAndItsPiecesInIdOrder() throws {
        let (_, model, _) = try Self.trainedModel()
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: model.path))
        #expect(files.isSuperset(of: ["config.json", "vocab.tsv", "tokenizer.model", "model.safetensors"]))
        let vocabulary = try String(contentsOf: model.appendingPathComponent("vocab.tsv"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: "\t").first.map(String.init) ?? "" }
        #expect(Array(vocabulary.prefix(3)) == ["<unk>", "<eos>", "<0x00>"])
        #expect(vocabulary.count <= 400 && vocabulary.contains { $0.hasPrefix("▁") })
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: model.appendingPathComponent("config.json"))) as? [String: Any]
        let tokenizer = config?["tokenizer"] as? [String: Any]
        #expect(tokenizer?["mode"] as? String == "subword")
        #expect(tokenizer?["subwordAlgorithm"] as? String == "unigram")
        #expect(tokenizer?["subwordVocabularySize"] as? Int == 400)
    }

    @Test func tokenizeGivesPiecesWhoseTextIsTheLineAndEvalHasNoUnknownTokens() throws {
        let (folder, model, corpus) = try Self.trainedModel()
        let text = folder.appendingPathComponent("unseen.txt")
        // Unseen words and characters: spelled by pieces and bytes, never <unk>.
        try "오늘 12시에 새로운 단어들 🦀 Ωμέγα\n3박4일\n".write(to: text, atomically: true, encoding: .utf8)
        let pieces = try CommandRunner.run(["tokenize", text.path, "--model", model.path])
        #expect(pieces.status == 0, "\(pieces.standardError)")
        let lines = pieces.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
        let restored = lines.prefix(2).map { line in
            line.split(separator: " ").joined().replacingOccurrences(of: "▁", with: " ").trimmingCharacters(in: .whitespaces)
        }
        #expect(restored[1] == "3박4일")
        #expect(pieces.standardOutput.contains("<0xF0>"))
        let ids = try CommandRunner.run(["tokenize", text.path, "--model", model.path, "--ids"])
        #expect(!ids.standardOutput.split(whereSeparator: \.isWhitespace).contains("0"))

        let evaluation = try CommandRunner.run(["eval", text.path, "--model", model.path, "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(evaluation.standardOutput.utf8)) as? [String: Any]
        #expect(report?["oov_rate"] as? Double == 0)
        #expect(report?["characters"] as? Int == 29)  // 23 + 4 characters, 2 line ends
        let bits = try #require(report?["bits_per_character"] as? Double)
        let perToken = try #require(report?["bits_per_token"] as? Double)
        let tokens = ids.standardOutput.split(whereSeparator: \.isWhitespace).count
        #expect(abs(bits - perToken * Double(tokens) / 29) < 1e-9)

        let seen = try CommandRunner.run(["eval", corpus.path, "--model", model.path, "--json"])
        let seenBits = try #require((try JSONSerialization.jsonObject(with: Data(seen.standardOutput.utf8)) as? [String: Any])?["bits_per_character"] as? Double)
        #expect(seenBits < 1.5, "a text of seven repeated sentences is learned")
    }

    @Test func generatePrimesWithPiecesAndWritesTheTextTheyMake() throws {
        let (folder, _, _) = try Self.trainedModel()
        let generated = try CommandRunner.run(["generate", "--seed", "3박4일", "--lines", "2", "--random-seed", "1"], in: folder)
        #expect(generated.status == 0, "\(generated.standardError)")
        #expect(generated.standardOutput.hasPrefix("3박4일"))
        #expect(!generated.standardOutput.contains("▁") && !generated.standardOutput.contains("<0x"))
        let known = Set(Self.koreanLines.flatMap { $0.split(separator: " ") }.map(String.init))
        let words = generated.standardOutput.split(whereSeparator: \.isWhitespace).dropFirst().map(String.init)
        #expect(words.filter(known.contains).count * 2 >= words.count, "\(generated.standardOutput)")
    }

    @Test func bpeAndVocabWork() throws {
        let (folder, model, corpus) = try Self.trainedModel(extraFlags: ["--subword-model", "bpe"])
        let config = try String(contentsOf: model.appendingPathComponent("config.json"), encoding: .utf8)
        #expect(config.contains("\"bpe\""))
        let vocab = try CommandRunner.run(["vocab", corpus.path, "--tokenizer", "subword", "--vocab-size", "400", "--top", "3"], in: folder)
        #expect(vocab.status == 0, "\(vocab.standardError)")
        #expect(vocab.standardOutput.contains("coverage 100.00%"))
        #expect(vocab.standardOutput.contains("<eos>"))
    }

    @Test func subwordFlagsAreCheckedAgainstTheTokenizer() throws {
        let (folder, _, corpus) = try Self.trainedModel()
        let cases: [([String], String)] = [
            (["--vocab-size", "1000"], "--vocab-size needs --tokenizer subword"),
            (["--subword-model", "bpe"], "--subword-model needs --tokenizer subword"),
            (["--tokenizer", "subword", "--vocab-size", "100"], "--vocab-size must be in [300, 1000000]"),
            (["--tokenizer", "subword", "--max-vocab", "100"], "--max-vocab does not apply to --tokenizer subword"),
            (["--tokenizer", "subword", "--vocab-size", "300"], "--vocab-size 300 is too small for this text"),
        ]
        for (flags, message) in cases {
            let outcome = try CommandRunner.run(["train", corpus.path, "--out", "elsewhere"] + flags, in: folder)
            #expect(outcome.status == 1)
            #expect(outcome.errorLines.count == 1 && outcome.standardError.contains(message), "\(flags): \(outcome.standardError)")
        }
    }

    @Test func standardInputIsRefusedForTrainingASubwordTokenizer() throws {
        let folder = try CommandRunner.temporaryDirectory()
        for command in [["train", "-", "--tokenizer", "subword"], ["vocab", "-", "--tokenizer", "subword"]] {
            let outcome = try CommandRunner.run(command, in: folder, standardInput: Data("오늘 12시에 만나요.\n".utf8))
            #expect(outcome.status == 1)
            #expect(outcome.errorLines.count == 1 && outcome.standardError.contains("save the text to a file"), "\(outcome.standardError)")
        }
    }

    @Test func aDamagedOrForeignTokenizerModelIsNamed() throws {
        let damages: [(String, (URL) throws -> Void)] = [
            ("no such file", { try FileManager.default.removeItem(at: $0.appendingPathComponent("tokenizer.model")) }),
            ("not a SentencePiece model (the file is empty)", { try Data().write(to: $0.appendingPathComponent("tokenizer.model")) }),
            ("not a SentencePiece model", { try Data("garbage".utf8).write(to: $0.appendingPathComponent("tokenizer.model")) }),
            ("its pieces are not those of vocab.tsv", { folder in
                let other = try Self.trainedModel(extraFlags: ["--subword-model", "bpe"]).model
                try FileManager.default.removeItem(at: folder.appendingPathComponent("tokenizer.model"))
                try FileManager.default.copyItem(at: other.appendingPathComponent("tokenizer.model"), to: folder.appendingPathComponent("tokenizer.model"))
            }),
        ]
        for (message, damage) in damages {
            let (folder, model, corpus) = try Self.trainedModel()
            let copy = folder.appendingPathComponent("damaged")
            try FileManager.default.copyItem(at: model, to: copy)
            try damage(copy)
            for command in [["eval", corpus.path], ["generate", "--tokens", "3"], ["tokenize", corpus.path]] {
                let outcome = try CommandRunner.run(command + ["--model", copy.path])
                #expect(outcome.status == 1)
                #expect(outcome.errorLines.count == 1, "\(outcome.standardError)")
                #expect(outcome.standardError.contains("tokenizer.model: ") && outcome.standardError.contains(message), "\(outcome.standardError)")
            }
        }
    }
}
