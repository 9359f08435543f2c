import Foundation
import Testing

@testable import LMText

/// Corpus reading, vocabulary and round trips on real text from `../shared`.
@Suite struct CorpusTests {
    static let shared = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared")

    static func sharedFile(_ relative: String) -> String? {
        let path = shared.appendingPathComponent(relative).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("lmtool-corpus-\(UUID().uuidString).txt").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func temporaryFile(_ text: String) throws -> String { try temporaryFile(Array(text.utf8)) }

    let word = Tokenizer(options: TokenizerOptions())

    @Test func whitespaceTokenCountsMatchPublishedWikiText2Figures() throws {
        let tokenizer = Tokenizer(options: TokenizerOptions(mode: .whitespace))
        for (split, expected) in [("train", 2_088_628), ("valid", 217_646), ("test", 245_569)] {
            guard let path = Self.sharedFile("corpora/wikitext-2/\(split).txt") else {
                Issue.record("../shared/corpora/wikitext-2 is missing")
                return
            }
            let corpus = try Corpus.tokenize(path: path, tokenizer: tokenizer)
            #expect(corpus.stream.count == expected, "\(split)")
            if split == "train" { #expect(corpus.types.count == 33_278) }
        }
    }

    @Test func byteOrderMarkAndLineEndingsAreHandled() throws {
        let path = try temporaryFile([0xEF, 0xBB, 0xBF] + Array("one two\r\nthree\rfour\n".utf8))
        let corpus = try Corpus.tokenize(path: path, tokenizer: word)
        #expect(corpus.stream.map { corpus.types[Int($0)] } == ["one", "two", "<eos>", "three", "<eos>", "four", "<eos>"])
        #expect(corpus.summary.lines == 3)
    }

    @Test func aMultiByteCharacterSplitAcrossChunksIsDecoded() throws {
        let line = String(repeating: "가", count: LineReader.chunkSize / 3 + 7)
        let path = try temporaryFile(line + "\n")
        let corpus = try Corpus.tokenize(path: path, tokenizer: Tokenizer(options: TokenizerOptions(mode: .whitespace)))
        #expect(corpus.types == [line, "<eos>"])
    }

    @Test func vocabularyOrderIsCountThenCodePoint() {
        let vocabulary = Vocabulary(counts: ["b": 3, "a": 3, "c": 5, "z": 1, "<eos>": 4])
        #expect(vocabulary.tokens == ["<unk>", "<eos>", "c", "a", "b", "z"])
        let trimmed = Vocabulary(counts: ["b": 3, "a": 3, "c": 5, "z": 1, "<eos>": 4], minCount: 2, maxSize: 4)
        #expect(trimmed.tokens == ["<unk>", "<eos>", "c", "a"])
        #expect(trimmed.id(of: "z") == Vocabulary.unknownID)
        #expect(trimmed.counts[0] == 4)  // b and z
        #expect(abs(trimmed.coverage - 12.0 / 16.0) < 1e-12)
    }

    @Test func vocabularyIsDeterministicAndRoundTripsThroughItsFile() throws {
        let text = "the cat sat\non the mat\n\ta\\b tab\n"
        let path = try temporaryFile(text)
        let first = Vocabulary(counts: try Corpus.tokenize(path: path, tokenizer: word).counts)
        let second = Vocabulary(counts: try Corpus.tokenize(path: path, tokenizer: word).counts)
        #expect(first == second)
        let characters = Tokenizer(options: TokenizerOptions(mode: .character))
        for vocabulary in [first, Vocabulary(counts: try Corpus.tokenize(path: path, tokenizer: characters).counts)] {
            let file = try temporaryFile(Array(vocabulary.fileContents))
            #expect(try Vocabulary(contentsOf: file) == vocabulary)
        }
    }

    @Test func malformedVocabularyFileNamesTheLine() throws {
        let path = try temporaryFile("<unk>\t0\n<eos>\t3\nword\n")
        #expect(throws: Vocabulary.FileError.malformed(path: path, line: 3, reason: "expected 'token<TAB>count'")) {
            try Vocabulary(contentsOf: path)
        }
    }

    @Test func encodingMapsUnknownTokensAndCountsThem() throws {
        let vocabulary = Vocabulary(counts: ["the": 2, "cat": 1, "<eos>": 1])
        let path = try temporaryFile("the dog <unk> cat\n")
        let encoded = try Corpus.encode(path: path, tokenizer: word, vocabulary: vocabulary)
        #expect(encoded.ids == [vocabulary.id(of: "the"), 0, 0, vocabulary.id(of: "cat"), 1])
        #expect(encoded.outOfVocabulary == 2)
        // Each unknown token is charged its spelling; known ones and the text's own <unk> nothing.
        #expect(encoded.unknownSpellingBits == SpellingModel(vocabulary: vocabulary).bits(of: "dog"))
        let known = try Corpus.encode(path: try temporaryFile("the cat\n"), tokenizer: word, vocabulary: vocabulary)
        #expect(known.unknownSpellingBits == 0)
    }

    // MARK: - Bad input

    @Test func missingFile() {
        #expect(throws: CorpusError.missing(path: "/nonexistent/corpus.txt")) {
            try Corpus.tokenize(path: "/nonexistent/corpus.txt", tokenizer: word)
        }
    }

    @Test func directory() {
        let path = FileManager.default.temporaryDirectory.path
        #expect(throws: CorpusError.isDirectory(path: path)) { try Corpus.tokenize(path: path, tokenizer: word) }
    }

    @Test func unreadableFile() throws {
        let path = try temporaryFile("secret\n")
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: path)
        // root reads any file; the check only means something for other users.
        if getuid() != 0 {
            #expect(throws: CorpusError.unreadable(path: path, reason: "permission denied")) {
                try Corpus.tokenize(path: path, tokenizer: word)
            }
        }
    }

    @Test func invalidUTF8NamesLineAndByteOffset() throws {
        let path = try temporaryFile(Array("good line\nbad ".utf8) + [0xC3, 0x28] + Array(" here\n".utf8))
        #expect(throws: CorpusError.invalidUTF8(path: path, line: 2, byteOffset: 14)) {
            try Corpus.tokenize(path: path, tokenizer: word)
        }
        let overlong = try temporaryFile([0x61, 0xC0, 0xAF])
        #expect(throws: CorpusError.invalidUTF8(path: overlong, line: 1, byteOffset: 1)) {
            try Corpus.tokenize(path: overlong, tokenizer: word)
        }
        let truncated = try temporaryFile([0x61, 0xE2, 0x82])
        #expect(throws: CorpusError.invalidUTF8(path: truncated, line: 1, byteOffset: 1)) {
            try Corpus.tokenize(path: truncated, tokenizer: word)
        }
    }

    @Test func binaryFile() throws {
        let path = try temporaryFile([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00])
        #expect(throws: CorpusError.binary(path: path, byteOffset: 7)) { try Corpus.tokenize(path: path, tokenizer: word) }
    }

    @Test func emptyAndTokenlessFiles() throws {
        let empty = try temporaryFile("")
        #expect(throws: CorpusError.empty(path: empty)) { try Corpus.tokenize(path: empty, tokenizer: word) }
        let blank = try temporaryFile("\n   \n\t\n")
        #expect(throws: CorpusError.noTokens(path: blank)) { try Corpus.tokenize(path: blank, tokenizer: word) }
    }

    /// Errors about `-` (standard input) name it as such; other paths are named as given.
    @Test func standardInputIsNamedInErrors() {
        let errors: [CorpusError] = [
            .empty(path: "-"), .noTokens(path: "-"), .invalidUTF8(path: "-", line: 2, byteOffset: 9),
            .binary(path: "-", byteOffset: 4), .unreadable(path: "-", reason: "bad file descriptor"),
        ]
        for error in errors {
            #expect(error.description.hasPrefix("standard input: ") && !error.description.contains("-:"), "\(error)")
        }
        #expect(CorpusError.invalidUTF8(path: "-", line: 2, byteOffset: 9).description == "standard input: invalid UTF-8 at line 2, byte offset 9")
        #expect(CorpusError.empty(path: "./-").description == "./-: the file is empty")
    }

    // MARK: - Round trips on real corpora

    static let roundTripFiles = [
        "corpora/tinyshakespeare/test.txt", "corpora/korean-chatbot/test.txt",
        "seeds/000_94b17c19fdaf0bfd.txt", "seeds/001_b90c328ae95ce5fa.txt", "seeds/002_de235b9d13edee77.txt",
    ]

    /// `detok(tok(text))` equals the text (NFC) with each run of white space inside a line
    /// as one space and none at a line's ends.
    @Test(arguments: roundTripFiles)
    func detokenizedTextEqualsTheOriginalUpToWhiteSpaceRuns(relativePath: String) throws {
        guard let path = Self.sharedFile(relativePath) else {
            Issue.record("../shared/\(relativePath) is missing")
            return
        }
        let original = try String(contentsOfFile: path, encoding: .utf8)
        let restored = Detokenizer(mode: .word).join(word.tokens(in: original))
        var expected = original.precomposedStringWithCanonicalMapping
            .split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
            .map { Self.collapsingWhiteSpace(String($0)) }
        if original.hasSuffix("\n") || original.hasSuffix("\r") { expected.removeLast() }
        let restoredLines = restored.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(restoredLines.count == expected.count)
        for (number, (line, want)) in zip(restoredLines, expected).enumerated() where line != want {
            Issue.record("\(relativePath):\(number + 1): \(line) ≠ \(want)")
            break
        }
    }

    /// `text` with each run of White_Space scalars one space and none at its ends (by
    /// scalars: a space carrying a combining mark is still a space and a mark).
    static func collapsingWhiteSpace(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                result.append(scalar)
                pendingSpace = false
            }
        }
        return String(result)
    }

    @Test func detokenizerSpacesLikeTheLanguage() {
        let detokenizer = Detokenizer(mode: .word)
        #expect(detokenizer.join(["Hello", ",", "world", "!", "<eos>", "(", "yes", ")"]) == "Hello, world!\n(yes)")
        #expect(detokenizer.join(["我", "喜欢", "学习", "。"]) == "我喜欢学习。")
        #expect(detokenizer.join(["안녕하세요", ".", "오늘", "날씨가"]) == "안녕하세요. 오늘 날씨가")
        #expect(Detokenizer(mode: .character).join(["a", " ", "b", "<eos>"]) == "a b\n")
    }
}
