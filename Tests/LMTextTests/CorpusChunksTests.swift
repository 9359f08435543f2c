import Foundation
import Testing

@testable import LMText

/// Reading a text in parts on several threads gives what reading it whole on one gives.
@Suite struct CorpusChunksTests {
    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("lmtool-chunks-\(UUID().uuidString).txt").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A text with a byte-order mark, every line end, empty lines, non-ASCII words and
    /// a literal `<unk>`, about 40 kB.
    static let text: [UInt8] = {
        var text: [UInt8] = [0xEF, 0xBB, 0xBF]
        let words = ["the", "cat", "sat", "café", "naïve", "가나", "<unk>", "on", "a", "mat", "😀"]
        let ends = ["\n", "\r\n", "\r", "\n\n"]
        for line in 0..<2000 {
            let words = (0..<(line % 9)).map { words[(line * 7 + $0 * $0) % words.count] }
            text += Array((words.joined(separator: " ") + ends[line % ends.count]).utf8)
        }
        return text
    }()

    /// The stream of `path` read in parts of `chunkBytes` on `threads` threads, as token strings.
    func streamedTokens(_ path: String, threads: Int, chunkBytes: Int, options: TokenizerOptions) throws
        -> (tokens: [String], streamed: Corpus.Streamed)
    {
        var ids: [Int32] = []
        let streamed = try Corpus.tokenize(
            path: path, threads: threads, makeTokenizer: { Tokenizer(options: options) }, chunkBytes: chunkBytes
        ) { ids += $0 }
        return (ids.map { streamed.types[Int($0)] }, streamed)
    }

    @Test(arguments: [TokenizerOptions.Mode.word, .whitespace, .character])
    func partsAndThreadsChangeNothing(mode: TokenizerOptions.Mode) throws {
        let path = try temporaryFile(Self.text)
        let options = TokenizerOptions(mode: mode)
        let whole = try Corpus.tokenize(path: path, tokenizer: Tokenizer(options: options))
        for (threads, chunkBytes) in [(1, Corpus.chunkBytes), (1, 1000), (2, 1000), (3, 777), (2, 1)] {
            let (tokens, streamed) = try streamedTokens(path, threads: threads, chunkBytes: chunkBytes, options: options)
            #expect(tokens == whole.stream.map { whole.types[Int($0)] }, "\(threads) threads, parts of \(chunkBytes)")
            #expect(streamed.types == whole.types)
            #expect(streamed.typeCounts == whole.typeCounts)
            #expect(streamed.lineCharacters == whole.lineCharacters)
            #expect(streamed.summary == whole.summary)
            #expect(streamed.tokenCount == whole.stream.count)
        }
    }

    @Test func partsAreCutAfterLineEndsOnly() throws {
        let path = try temporaryFile(Array("ab\r\ncd\ref\ngh".utf8))
        var chunks = try LineReader(path: path).chunks(size: 3)
        var parts: [String] = []
        var part: [UInt8] = []
        while try chunks.next(into: &part) != nil { parts.append(String(decoding: part, as: UTF8.self)) }
        // "ab\r" and "cd\r" wait for the next byte (a CR before an LF is not a line end of
        // its own); then each part ends at the last line end read.
        #expect(parts == ["ab\r\n", "cd\ref\n", "gh"])
    }

    @Test func errorsNameTheLineAndOffsetInTheFile() throws {
        let path = try temporaryFile(Array(String(repeating: "good line\n", count: 50).utf8) + [0x62, 0xC3, 0x28, 0x0A])
        #expect(throws: CorpusError.invalidUTF8(path: path, line: 51, byteOffset: 501)) {
            try streamedTokens(path, threads: 2, chunkBytes: 64, options: TokenizerOptions())
        }
        let empty = try temporaryFile([])
        #expect(throws: CorpusError.empty(path: empty)) {
            try streamedTokens(empty, threads: 2, chunkBytes: 64, options: TokenizerOptions())
        }
    }
}
