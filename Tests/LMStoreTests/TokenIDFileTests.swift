import Foundation
import LMText
import Testing

@testable import LMStore

/// `ids.bin`: the ids of the uncached path for any number of threads, reused when its key
/// matches, and never used stale or damaged.
@Suite struct TokenIDFileTests {
    let options = TokenizerOptions(mode: .word)

    /// A fresh folder with a corpus of `lines` lines, whose last 100 each end with a word
    /// of their own (unknown to a vocabulary of the rest).
    func corpus(lines: Int = 3000) throws -> (folder: String, corpus: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lmtool-ids-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "park", ".", "Éloïse", "<unk>"]
        let text = (0..<lines).map { line in
            ((0..<(1 + line % 11)).map { words[(line * 5 + $0 * $0) % words.count] } + (line >= lines - 100 ? ["rare\(line)"] : []))
                .joined(separator: " ")
        }.joined(separator: "\n") + "\n"
        try text.write(toFile: folder + "/train.txt", atomically: true, encoding: .utf8)
        return (folder, folder + "/train.txt")
    }

    func key(_ vocabulary: Vocabulary, _ corpus: String, fraction: Double = 0.1) throws -> TokenIDFile.Key {
        try #require(TokenIDFile.Key(vocabulary: vocabulary, tokenizer: options, subwordModel: nil, heldOutFraction: fraction, corpus: corpus))
    }

    func build(_ folder: String, _ corpus: String, threads: Int, split: TokenIDFile.Split = .heldOut(fraction: 0.1), maxSize: Int? = 20)
        throws -> (file: TokenIDFile, vocabulary: Vocabulary)
    {
        try TokenIDFile.build(
            at: folder + "/ids.bin", corpus: corpus, key: {
                TokenIDFile.Key(vocabulary: $0, tokenizer: options, subwordModel: nil, heldOutFraction: 0.1, corpus: corpus)
            }, split: split, threads: threads,
            makeTokenizer: { Tokenizer(options: options) }, vocabulary: { Vocabulary(counts: $0, maxSize: maxSize) })
    }

    @Test func idsAreThoseOfTheWholeTextForAnyNumberOfThreads() throws {
        let (folder, corpus) = try corpus()
        let tokenized = try Corpus.tokenize(path: corpus, tokenizer: Tokenizer(options: options))
        let end = tokenized.holdOutStart(fraction: 0.1)
        let vocabulary = Vocabulary(counts: tokenized.counts(in: 0..<end), maxSize: 20)
        let all = tokenized.encoded(0..<tokenized.stream.count, with: vocabulary)
        let heldOut = tokenized.encoded(end..<tokenized.stream.count, with: vocabulary)
        let spelling = SpellingModel(vocabulary: vocabulary)
        let heldOutSpelling = tokenized.stream[end...].map { tokenized.types[Int($0)] }
            .filter { vocabulary.id(of: $0) == Vocabulary.unknownID && $0 != "<unk>" }
            .reduce(0.0) { $0 + spelling.bits(of: $1) }
        for threads in [1, 2] {
            let (file, built) = try build(folder, corpus, threads: threads)
            #expect(built == vocabulary)
            #expect(Array(file.ids) == all.ids, "\(threads) threads")
            #expect(file.trainingCount == end)
            #expect(file.heldOutUnknown == heldOut.outOfVocabulary)
            #expect(heldOutSpelling > 0)
            #expect(abs(file.heldOutUnknownSpellingBits - heldOutSpelling) <= 1e-9 * heldOutSpelling)
            #expect(file.heldOutCharacters == tokenized.characters(in: end..<tokenized.stream.count))
        }
        let (lines, _) = try build(folder, corpus, threads: 2, split: .afterLines(2500))
        #expect(lines.trainingCount == tokenized.start(ofLine: 2500))
        let (whole, _) = try build(folder, corpus, threads: 2, split: .none)
        #expect(whole.trainingCount == tokenized.stream.count && whole.heldOutCharacters == 0)
    }

    @Test func aCurrentFileIsReused() throws {
        let (folder, corpus) = try corpus()
        let (built, vocabulary) = try build(folder, corpus, threads: 2)
        guard case .current(let opened) = TokenIDFile.open(at: folder + "/ids.bin", key: try key(vocabulary, corpus), vocabularySize: vocabulary.count)
        else {
            Issue.record("a file just built is not current")
            return
        }
        #expect(Array(opened.ids) == Array(built.ids))
        #expect(opened.trainingCount == built.trainingCount && opened.heldOutCharacters == built.heldOutCharacters)
        #expect(opened.heldOutUnknown == built.heldOutUnknown)
        #expect(opened.heldOutUnknownSpellingBits == built.heldOutUnknownSpellingBits)
    }

    /// The reason `open` gives, or nil when it finds the file current.
    func reason(_ folder: String, _ key: TokenIDFile.Key, vocabularySize: Int) -> String? {
        if case .unusable(let reason) = TokenIDFile.open(at: folder + "/ids.bin", key: key, vocabularySize: vocabularySize) { return reason }
        return nil
    }

    @Test func aStaleFileIsNotUsed() throws {
        let (folder, corpus) = try corpus()
        let (_, vocabulary) = try build(folder, corpus, threads: 1)
        let other = Vocabulary(counts: ["the": 3, "<eos>": 1])
        #expect(reason(folder, try key(other, corpus), vocabularySize: vocabulary.count) == "made with another vocabulary")
        #expect(reason(folder, try key(vocabulary, corpus, fraction: 0.2), vocabularySize: vocabulary.count) == "made with other tokenizer settings")
        #expect(TokenIDFile.Key(vocabulary: vocabulary, tokenizer: options, subwordModel: nil, heldOutFraction: 0.1, corpus: "-") == nil)
        // The same bytes written again: only the modification time tells.
        let text = try Data(contentsOf: URL(fileURLWithPath: corpus))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: corpus)
        #expect(reason(folder, try key(vocabulary, corpus), vocabularySize: vocabulary.count) == "the corpus changed since (size or modification time)")
        try (text + Data("more\n".utf8)).write(to: URL(fileURLWithPath: corpus))
        #expect(reason(folder, try key(vocabulary, corpus), vocabularySize: vocabulary.count) == "the corpus changed since (size or modification time)")
    }

    @Test func aDamagedFileIsNotUsed() throws {
        let (folder, corpus) = try corpus()
        let (_, vocabulary) = try build(folder, corpus, threads: 2)
        let path = folder + "/ids.bin"
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        let key = try key(vocabulary, corpus)
        #expect(reason(folder, key, vocabularySize: vocabulary.count) == nil)

        try good.prefix(good.count - 4).write(to: URL(fileURLWithPath: path))
        #expect(reason(folder, key, vocabularySize: vocabulary.count)?.hasPrefix("truncated or padded") == true)
        try good.prefix(50).write(to: URL(fileURLWithPath: path))
        #expect(reason(folder, key, vocabularySize: vocabulary.count) == "truncated: shorter than its 96-byte header")
        var magic = good
        magic[0] = UInt8(ascii: "L")
        try magic.write(to: URL(fileURLWithPath: path))
        #expect(reason(folder, key, vocabularySize: vocabulary.count) == "not an lmtool id file (bad magic)")
        var version = good
        version[8] = 1  // before the held-out spelling bits
        try version.write(to: URL(fileURLWithPath: path))
        #expect(reason(folder, key, vocabularySize: vocabulary.count) == "version 1, this lmtool reads version 2")
        var outside = good
        outside[good.count - 1] = 0x7F
        try outside.write(to: URL(fileURLWithPath: path))
        #expect(reason(folder, key, vocabularySize: vocabulary.count) == "holds ids outside the vocabulary")
        try FileManager.default.removeItem(atPath: path)
        #expect(reason(folder, key, vocabularySize: vocabulary.count) == "no such file")
    }

    @Test func noScratchFileIsLeft() throws {
        let (folder, corpus) = try corpus(lines: 10)
        _ = try build(folder, corpus, threads: 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["ids.bin", "train.txt"])
    }
}
