import Foundation
import LMText

extension TokenIDFile {
    /// Where the held-out part of the corpus starts.
    public enum Split: Sendable {
        /// Nothing is held out (validation reads another text).
        case none
        /// The last `fraction` of the ids, from a line start on (``Corpus/Tokenized/holdOutStart(fraction:)``).
        case heldOut(fraction: Double)
        /// The lines after the first `lines` (``Corpus/Tokenized/start(ofLine:)``): those a
        /// subword model was not trained on.
        case afterLines(Int)
    }

    /// Ids per block when the ids are read back: 4 MB.
    private static let blockIDs = 1 << 20

    /// Tokenizes `corpus` on `threads` threads (``Corpus/tokenize(path:threads:makeTokenizer:chunkBytes:write:)``),
    /// has `vocabulary` make the vocabulary from the training part's token counts (or
    /// return the one it has), writes the ids to `path` atomically, keyed by `key` (of
    /// that vocabulary; nil for standard input), and maps them. The stream of provisional
    /// ids waits in an unlinked scratch file beside `path`, so memory holds one part of
    /// the text per thread and the distinct tokens, never the stream.
    /// - Throws: ``CorpusError`` for the corpus, ``StoreError`` for the files.
    public static func build(
        at path: String, corpus: String, key: (Vocabulary) -> Key?, split: Split, threads: Int,
        makeTokenizer: () -> Tokenizer, vocabulary makeVocabulary: ([String: Int]) -> Vocabulary
    ) throws -> (file: TokenIDFile, vocabulary: Vocabulary) {
        let scratchPath = URL(fileURLWithPath: path).deletingLastPathComponent().path + "/.ids.bin.\(AtomicFile.processTag).scratch"
        let scratch = Glibc.open(scratchPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard scratch >= 0 else { throw StoreError.writeFailed(path: scratchPath, reason: String(cString: strerror(errno))) }
        unlink(scratchPath)
        defer { close(scratch) }
        // The corpus as it is before it is read: a change while it is read makes the file stale.
        let corpusBefore = Key.corpusIdentity(corpus)
        let streamed = try Corpus.tokenize(path: corpus, threads: threads, makeTokenizer: makeTokenizer) { ids in
            try AtomicFile.writeAll(UnsafeRawBufferPointer(ids), to: scratch, path: scratchPath)
        }
        let count = streamed.tokenCount
        var block = [Int32](repeating: 0, count: blockIDs)
        /// Calls `body` with the provisional ids of `range`, block by block, and the
        /// position of each block's first.
        func forEachBlock(in range: Range<Int>, _ body: (ArraySlice<Int32>, Int) throws -> Void) throws {
            for start in stride(from: range.lowerBound, to: range.upperBound, by: blockIDs) {
                let length = min(blockIDs, range.upperBound - start)
                try block.withUnsafeMutableBytes { bytes in
                    var done = 0
                    while done < length * 4 {
                        let read = pread(scratch, bytes.baseAddress! + done, length * 4 - done, off_t(start * 4 + done))
                        if read < 0 && errno == EINTR { continue }
                        guard read > 0 else { throw StoreError.unreadable(path: scratchPath, reason: String(cString: strerror(errno))) }
                        done += read
                    }
                }
                try body(block[..<length], start)
            }
        }

        let endOfLine = streamed.types.firstIndex(of: SpecialToken.endOfLine).map(Int32.init)
        var trainingCount = count
        switch split {
        case .none: break
        case .heldOut(let fraction):
            // As Corpus.Tokenized.holdOutStart: back from the target to the last line end before it.
            let target = Int(Double(count) * (1 - fraction))
            trainingCount = target
            if let endOfLine {
                var lastEnd: Int?
                var end = target
                while lastEnd == nil && end > 0 {
                    let start = max(0, end - blockIDs)
                    try forEachBlock(in: start..<end) { ids, first in
                        lastEnd = ids.lastIndex(of: endOfLine).map { first + $0 }
                    }
                    end = start
                }
                if let lastEnd { trainingCount = lastEnd + 1 }
            }
        case .afterLines(let lines):
            // As Corpus.Tokenized.start(ofLine:).
            if lines <= 0 || endOfLine == nil {
                trainingCount = 0
            } else if let endOfLine {
                var seen = 0
                var found: Int?
                try forEachBlock(in: 0..<count) { ids, first in
                    guard found == nil else { return }
                    for position in ids.indices where ids[position] == endOfLine {
                        seen += 1
                        if seen == lines {
                            found = first + position + 1
                            return
                        }
                    }
                }
                trainingCount = found ?? count
            }
        }

        var heldOutCounts = [Int](repeating: 0, count: streamed.types.count)
        try forEachBlock(in: trainingCount..<count) { ids, _ in for id in ids { heldOutCounts[Int(id)] += 1 } }
        var trainingCounts: [String: Int] = [:]
        for (type, (total, heldOut)) in zip(streamed.types, zip(streamed.typeCounts, heldOutCounts)) where total > heldOut {
            trainingCounts[type] = total - heldOut
        }
        let vocabulary = makeVocabulary(trainingCounts)
        let mapping = streamed.types.map { vocabulary.id(of: $0) }
        var heldOutUnknown = 0
        var heldOutUnknownSpellingBits = 0.0
        var spelling = UnknownTokenSpelling(vocabulary: vocabulary)
        for (type, (id, heldOut)) in zip(streamed.types, zip(mapping, heldOutCounts))
        where id == Vocabulary.unknownID && heldOut > 0 {
            heldOutUnknown += heldOut
            heldOutUnknownSpellingBits += Double(heldOut) * spelling.bits(of: type)
        }
        // As Corpus.Tokenized.characters(in:): the lines after the training part's line ends.
        let linesBefore = endOfLine.map { streamed.typeCounts[Int($0)] - heldOutCounts[Int($0)] } ?? 0
        let heldOutLines = endOfLine.map { heldOutCounts[Int($0)] } ?? 0
        let heldOutCharacters = streamed.lineCharacters.dropFirst(linesBefore).prefix(heldOutLines).reduce(0) { $0 + Int($1) }

        var fileKey = key(vocabulary)
        if let corpusBefore {
            fileKey?.corpusBytes = corpusBefore.bytes
            fileKey?.corpusModified = corpusBefore.modified
        }
        let header = Header(
            key: fileKey ?? Key(vocabulary: 0, settings: 0, corpusBytes: 0, corpusModified: 0), count: count,
            trainingCount: trainingCount, heldOutCharacters: heldOutCharacters, heldOutUnknown: heldOutUnknown,
            heldOutUnknownSpellingBits: heldOutUnknownSpellingBits)
        try AtomicFile.write(to: path) { file in
            try header.bytes.withUnsafeBytes { try AtomicFile.writeAll($0, to: file, path: path) }
            var encoded = [Int32](repeating: 0, count: blockIDs)
            try forEachBlock(in: 0..<count) { ids, _ in
                for (slot, id) in ids.enumerated() { encoded[slot] = mapping[Int(id)] }
                try encoded[..<ids.count].withUnsafeBytes { try AtomicFile.writeAll($0, to: file, path: path) }
            }
        }
        let ids = try TokenIDs(mappingFile: path, offset: headerBytes, count: count)
        let file = TokenIDFile(
            ids: ids, trainingCount: trainingCount, heldOutCharacters: heldOutCharacters, heldOutUnknown: heldOutUnknown,
            heldOutUnknownSpellingBits: heldOutUnknownSpellingBits)
        return (file, vocabulary)
    }
}

extension TokenIDFile.Key {
    /// The size and modification time of `corpus`; nil for standard input and a file
    /// that cannot be examined.
    static func corpusIdentity(_ corpus: String) -> (bytes: UInt64, modified: Int64)? {
        var status = stat()
        guard corpus != LineReader.standardInput, stat(corpus, &status) == 0 else { return nil }
        return (UInt64(status.st_size), Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec))
    }
}
