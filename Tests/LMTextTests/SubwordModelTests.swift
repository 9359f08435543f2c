import Foundation
import Testing

@testable import LMText

/// Subword units: SentencePiece trained through lmtool's wrapper, exact round trips in
/// every script, byte fallback, the id layout, determinism and damaged model files.
@Suite struct SubwordModelTests {
    /// Lines in many scripts, with the spacing cases that trip detokenizers: digits
    /// against Hangul, several spaces, leading and trailing spaces, tabs.
    static let multilingual = [
        "오늘 12시에 만나요.", "3박4일 여행을 다녀왔어요!", "서울에서  부산까지   KTX로 2시간 40분.",
        "我喜欢学习自然语言处理。", "私は東京に住んでいます。", "ภาษาไทยง่ายนิดเดียว",
        "مرحبا بالعالم، كيف حالك؟", "Emoji 👩‍👩‍👧 and flags 🇰🇷🇯🇵 stay whole.", "  leading spaces",
        "trailing spaces  ", "tab\tseparated\tfields", "Ünïcödé — “quotes” and ‘apostrophes’ … 100%",
        "x", "",
    ]

    /// A training text: Korean sentences and the multilingual lines, repeated with
    /// numbers so that SentencePiece sees each script often enough to learn pieces.
    static func trainingLines() -> [String] {
        let korean = ["안녕하세요 반갑습니다", "오늘 날씨가 좋네요", "저녁은 뭐 먹을까요?", "주말에 영화 보러 가요"]
        return (0..<300).map { index in
            korean[index % korean.count] + " \(index)번 " + multilingual[index % (multilingual.count - 1)]
        }
    }

    static let model = try! SubwordModel.train(
        lines: trainingLines(), algorithm: .unigram, vocabularySize: 600, threads: 2, seed: 1)

    func pieces(_ line: String, _ tokenizer: Tokenizer) -> [String] {
        Array(tokenizer.tokens(in: line).dropLast())
    }

    @Test(arguments: [SubwordModel.Algorithm.unigram, .bpe])
    func decodingThePiecesOfALineGivesTheLineBack(algorithm: SubwordModel.Algorithm) throws {
        let model =
            algorithm == .unigram
            ? Self.model : try SubwordModel.train(lines: Self.trainingLines(), algorithm: .bpe, vocabularySize: 600, threads: 2, seed: 1)
        let tokenizer = Tokenizer(options: TokenizerOptions(mode: .subword), subwordModel: model)
        // Characters never seen in training are spelled in bytes.
        let unseen = ["Ωμέγα κόσμε", "Кириллица тоже", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓ 🦀"]
        for line in (Self.multilingual + unseen).filter({ !$0.isEmpty }) {
            let tokens = tokenizer.tokens(in: line)
            #expect(tokens.last == SpecialToken.endOfLine)
            #expect(Detokenizer(mode: .subword).join(tokens) == line + "\n", "\(algorithm): \(line)")
            #expect(!tokens.contains(SpecialToken.unknown), "\(line)")
        }
        let text = Self.multilingual.joined(separator: "\n") + "\n"
        #expect(Detokenizer(mode: .subword).join(tokenizer.tokens(in: text)) == text)
    }

    @Test func unseenCharactersAreSpelledInBytesNotUnknown() {
        let tokenizer = Tokenizer(options: TokenizerOptions(mode: .subword), subwordModel: Self.model)
        let crab = pieces("🦀", tokenizer)
        #expect(crab.contains("<0xF0>") && crab.contains("<0xA6>"))
        #expect(Detokenizer(mode: .subword).join(crab) == "🦀")
    }

    @Test func textIsNormalisedToNFCBeforeSentencePieceSeesIt() {
        let tokenizer = Tokenizer(options: TokenizerOptions(mode: .subword), subwordModel: Self.model)
        let decomposed = "\u{1100}\u{1161}\u{11A8} e\u{301}"  // 각 é, decomposed
        #expect(Detokenizer(mode: .subword).join(pieces(decomposed, tokenizer)) == "각 é")
        var characters = 0
        Array(decomposed.utf16).withUnsafeBufferPointer { characters = tokenizer.forEachToken(inLine: $0) { _ in } }
        #expect(characters == 3)
    }

    @Test func idsFollowLMToolsLayout() {
        let pieces = Self.model.pieces
        #expect(pieces[0] == "<unk>" && pieces[1] == "<eos>")
        #expect(pieces[2] == "<0x00>" && pieces[257] == "<0xFF>")
        #expect(Set(pieces).count == pieces.count)
        #expect(pieces.count <= 600 && pieces.count > 258)
        let learned = pieces[300]
        let vocabulary = Vocabulary(subwordModel: Self.model, counts: [learned: 3])
        #expect(vocabulary.tokens == pieces)
        #expect(vocabulary.id(of: learned) == 300 && vocabulary.counts[300] == 3 && vocabulary.counts[299] == 0)
    }

    @Test func theSameLinesAndSeedGiveTheSameModel() throws {
        let again = try SubwordModel.train(lines: Self.trainingLines(), algorithm: .unigram, vocabularySize: 600, threads: 2, seed: 1)
        #expect(again.serialized == Self.model.serialized)
    }

    @Test func trainingOnAFileHoldsOutItsTail() throws {
        let lines = Self.trainingLines()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lmtool-subword-\(UUID().uuidString).txt").path
        try Data((lines.joined(separator: "\n") + "\n\(String(repeating: "Ж", count: 60))\n").utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let trained = try SubwordModel.train(
            path: path, options: TokenizerOptions(mode: .subword, subwordVocabularySize: 600), heldOutFraction: 0.001, threads: 1,
            seed: 1)
        #expect(trained.trainingLines == lines.count)
        // The held-out line's characters were never seen: no piece holds them.
        #expect(!trained.model.pieces.contains { $0.contains("Ж") })
        let everything = try SubwordModel.train(
            path: path, options: TokenizerOptions(mode: .subword, subwordVocabularySize: 600), heldOutFraction: 0, threads: 1, seed: 1)
        #expect(everything.trainingLines == lines.count + 1)
        #expect(everything.model.pieces.contains { $0.contains("Ж") })
    }

    @Test func damagedOrForeignModelFilesAreRefusedNamingTheFile() {
        let path = "/models/m/tokenizer.model"
        #expect(throws: SubwordModel.LoadError.notAModel(path: path, reason: "the file is empty")) {
            try SubwordModel(serialized: Data(), path: path)
        }
        for damaged in [Data("not a model at all".utf8), Self.model.serialized.prefix(Self.model.serialized.count / 2)] {
            #expect {
                try SubwordModel(serialized: damaged, path: path)
            } throws: { error in
                "\(error)".hasPrefix("\(path): not a SentencePiece model (")
            }
        }
    }

    /// SentencePiece's trie builder reads pieces as C strings and throws (rather than
    /// returning a status) on one that starts with a NUL byte; the wrapper turns that into
    /// the same one-line error, not an abort.
    @Test func aModelWithAPieceStartingWithNULIsRefusedNotAborted() {
        /// A serialized `SentencePiece` message: piece (field 1), score (2), type (3).
        func piece(_ text: String, type: UInt8) -> [UInt8] {
            [0x0A, UInt8(text.utf8.count)] + Array(text.utf8) + [0x15, 0, 0, 0, 0, 0x18, type]
        }
        let pieces = [piece("<unk>", type: 2), piece("<eos>", type: 3), piece("\u{0}x", type: 1)]
        let model = Data(pieces.flatMap { [0x0A, UInt8($0.count)] + $0 })  // ModelProto.pieces (field 1)
        #expect {
            try SubwordModel(serialized: model, path: "tokenizer.model")
        } throws: { error in
            "\(error)".hasPrefix("tokenizer.model: not a SentencePiece model (") && "\(error)".contains("zero-length key")
        }
    }

    @Test func defaultVocabularySizeGrowsWithTheCorpus() {
        #expect(SubwordModel.defaultVocabularySize(characters: 700_000) == 4_000)
        #expect(SubwordModel.defaultVocabularySize(characters: 5_000_000) == 8_000)
        #expect(SubwordModel.defaultVocabularySize(characters: 50_000_000) == 16_000)
        #expect(SubwordModel.defaultVocabularySize(characters: 500_000_000) == 32_000)
    }

    @Test func streamedDetokenizingHoldsBackAnUnfinishedCharacter() {
        var detokenizer = Detokenizer(mode: .subword)
        #expect(detokenizer.append("▁a") == "a")
        #expect(detokenizer.append("<0xF0>") == "")
        #expect(detokenizer.append("<0x9F>") == "")
        #expect(detokenizer.append("<0xA6>") == "")
        #expect(detokenizer.append("<0x80>") == "🦀")
        #expect(detokenizer.append("▁b") == " b")
        #expect(detokenizer.append("<eos>") == "\n")
        #expect(detokenizer.append("▁c") == "c")
    }
}

extension SubwordModelTests {
    @Test func tooSmallAVocabularyNamesTheSizeItNeeds() {
        #expect {
            try SubwordModel.train(lines: Self.trainingLines(), algorithm: .unigram, vocabularySize: 300, threads: 1, seed: 1)
        } throws: { error in
            guard case .vocabularyTooSmall(300, let needed) = error as? SubwordModel.TrainingError else { return false }
            return needed > 300 && "\(error)".contains("pass --vocab-size \(needed) or more")
        }
    }
}

extension SubwordModelTests {
    /// The UTF-8 that SentencePiece is handed is Swift's own, unpaired surrogates as U+FFFD.
    @Test func utf8ConversionMatchesSwifts() {
        var generator = SystemRandomNumberGenerator()
        let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0x80...0x7FF, 0xAC00...0xD7A3, 0x1F300...0x1F9FF, 0x10000...0x10FFFF]
        for _ in 0..<200 {
            let scalars = (0..<Int.random(in: 0...40, using: &generator)).compactMap { _ in
                Unicode.Scalar(UInt32.random(in: ranges.randomElement(using: &generator)!, using: &generator))
            }
            var units = Array(String(String.UnicodeScalarView(scalars)).utf16)
            var expected = Array(String(String.UnicodeScalarView(scalars)).utf8)
            if Bool.random(using: &generator) {
                units.append(0xD800)  // a lone high surrogate
                expected += [0xEF, 0xBF, 0xBD]
            }
            var bytes = [UInt8](repeating: 0, count: 3 * units.count)
            let length = units.withUnsafeBufferPointer { text in
                bytes.withUnsafeMutableBufferPointer { SentencePieceProcessor.encodeUTF8(text, into: $0) }
            }
            #expect(Array(bytes.prefix(length)) == expected)
        }
    }
}
