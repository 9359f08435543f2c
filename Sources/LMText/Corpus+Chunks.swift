import Dispatch

/// Reading a large training text on several threads: the text is cut into parts of
/// ``chunkBytes`` at line ends, `threads` parts at a time are tokenized at once (one
/// tokenizer each), and the parts are merged in file order, so types, counts and the
/// stream are the same for any number of threads, and the same as ``tokenize(path:tokenizer:)``'s.
/// The stream is handed on part by part, never held whole.
extension Corpus {
    /// Bytes of text per part: fixed, so that nothing depends on the number of threads.
    public static let chunkBytes = 1 << 22

    /// A training text read once, without its stream: distinct tokens with counts, lines.
    public struct Streamed: Sendable {
        /// Distinct tokens in the order first seen (subword mode: the model's pieces).
        public var types: [String] = []
        public var typeCounts: [Int] = []
        /// `[lines]` characters of each line as read, its line end included.
        public var lineCharacters: [Int32] = []
        public var summary = LineReader.Summary()
        /// Tokens in the stream, `<eos>` included.
        public var tokenCount = 0

        public var counts: [String: Int] { Dictionary(uniqueKeysWithValues: zip(types, typeCounts)) }
    }

    /// One part's tokens, before merging; kept from part to part, so that once the first
    /// parts have sized its arrays reading allocates nothing more (fresh arrays for each
    /// part leave the C allocator holding freed memory that grows with the text).
    private final class Part: @unchecked Sendable {
        var bytes: [UInt8] = []
        var offset = 0
        /// Its distinct tokens in the order first seen (empty in subword mode).
        var types: [String] = []
        var index: [String: Int32] = [:]
        /// Indices into `types` (subword mode: piece ids), `<eos>` included.
        var stream: [Int32] = []
        var lineCharacters: [Int32] = []
        var summary = LineReader.Summary()
        var error: (any Error)?

        /// Reads `bytes` as ``tokenize(path:tokenizer:)`` does.
        func tokenize(reader: LineReader, tokenizer: Tokenizer) {
            types.removeAll(keepingCapacity: true)
            index.removeAll(keepingCapacity: true)
            stream.removeAll(keepingCapacity: true)
            lineCharacters.removeAll(keepingCapacity: true)
            error = nil
            do {
                summary = try bytes.withUnsafeBufferPointer { bytes in
                    if tokenizer.subwordPieces != nil {
                        return try reader.forEachLine(in: bytes, startingAt: offset) { line, _ in
                            let characters = tokenizer.forEachPieceID(inLine: line) { stream.append($0) }
                            stream.append(Vocabulary.endOfLineID)
                            lineCharacters.append(Int32(clamping: characters + 1))
                        }
                    }
                    return try reader.forEachLine(in: bytes, startingAt: offset) { line, _ in
                        let characters = tokenizer.forEachToken(inLine: line) { record(String(decoding: $0, as: UTF16.self)) }
                        record(SpecialToken.endOfLine)
                        lineCharacters.append(Int32(clamping: characters + 1))
                    }
                }
            } catch {
                self.error = error
            }
        }

        private func record(_ token: String) {
            if let id = index[token] {
                stream.append(id)
            } else {
                let id = Int32(types.count)
                index[token] = id
                types.append(token)
                stream.append(id)
            }
        }
    }

    /// Tokenizes the file at `path` on `threads` threads (`makeTokenizer` makes one
    /// tokenizer per thread) and calls `write` with the stream, in order, part by part: as
    /// indices into the result's `types`, as ``tokenize(path:tokenizer:)``'s stream.
    /// - Throws: ``CorpusError`` as ``tokenize(path:tokenizer:)`` does; errors of `write`.
    public static func tokenize(
        path: String, threads: Int, makeTokenizer: () -> Tokenizer, chunkBytes: Int = chunkBytes,
        write: (UnsafeBufferPointer<Int32>) throws -> Void
    ) throws -> Streamed {
        let reader = LineReader(path: path)
        var chunks = try reader.chunks(size: chunkBytes)
        let tokenizers = Shared((0..<max(1, threads)).map { _ in makeTokenizer() })
        let parts = (0..<tokenizers.value.count).map { _ in Part() }
        var merged = Streamed()
        var index: [String: Int32] = [:]
        let pieces = tokenizers.value[0].subwordPieces
        if let pieces {
            merged.types = pieces
            merged.typeCounts = Array(repeating: 0, count: pieces.count)
        }
        var ids: [Int32] = []
        var remapped: [Int32] = []
        while true {
            var filled = 0
            while filled < parts.count, let offset = try chunks.next(into: &parts[filled].bytes) {
                parts[filled].offset = offset
                filled += 1
            }
            if filled == 0 { break }
            let batch = Shared(Array(parts[..<filled]))
            DispatchQueue.concurrentPerform(iterations: filled) { slot in
                batch.value[slot].tokenize(reader: reader, tokenizer: tokenizers.value[slot])
            }
            for part in parts[..<filled] {
                if let error = part.error {
                    // Line numbers count from the part's start: from the file's, now.
                    if case CorpusError.invalidUTF8(let path, let line, let offset) = error {
                        throw CorpusError.invalidUTF8(path: path, line: merged.summary.lines + line, byteOffset: offset)
                    }
                    throw error
                }
                if pieces != nil {
                    for id in part.stream { merged.typeCounts[Int(id)] += 1 }
                    try part.stream.withUnsafeBufferPointer(write)
                } else {
                    ids.removeAll(keepingCapacity: true)
                    for type in part.types {
                        if let id = index[type] {
                            ids.append(id)
                        } else {
                            let id = Int32(merged.types.count)
                            index[type] = id
                            merged.types.append(type)
                            merged.typeCounts.append(0)
                            ids.append(id)
                        }
                    }
                    remapped.removeAll(keepingCapacity: true)
                    for local in part.stream {
                        let id = ids[Int(local)]
                        merged.typeCounts[Int(id)] += 1
                        remapped.append(id)
                    }
                    try remapped.withUnsafeBufferPointer(write)
                }
                merged.tokenCount += part.stream.count
                merged.lineCharacters += part.lineCharacters
                merged.summary.bytes += part.summary.bytes
                merged.summary.lines += part.summary.lines
                merged.summary.characters += part.summary.characters
            }
        }
        try checkNotEmpty(path: path, summary: merged.summary, tokens: merged.tokenCount, lines: merged.summary.lines)
        return merged
    }
}

/// A value handed to the threads of `concurrentPerform`, each of which touches only its
/// own element (its tokenizer, its part, its slot).
private final class Shared<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
