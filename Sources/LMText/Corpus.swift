/// Reading corpora: tokenize a training text once (counting tokens and recording their
/// provisional ids), build the vocabulary, and encode any text with it. Memory is
/// proportional to the number of tokens and distinct types, not to the text size.
public enum Corpus {
    /// A training text read once: distinct tokens with counts, and the token stream as
    /// indices into `types`.
    public struct Tokenized: Sendable {
        public var types: [String] = []
        public var typeCounts: [Int] = []
        /// `[N]` indices into `types`, `<eos>` included.
        public var stream: [Int32] = []
        /// `[lines]` characters of each line as read (`Tokenizer.forEachToken(inLine:_:)`),
        /// its line end included: the denominator of bits per character.
        public var lineCharacters: [Int32] = []
        public var summary = LineReader.Summary()

        public var counts: [String: Int] { Dictionary(uniqueKeysWithValues: zip(types, typeCounts)) }
    }

    /// A text in a vocabulary's ids.
    public struct Encoded: Sendable {
        public var ids: [Int32] = []
        /// Tokens not in the vocabulary (and literal `<unk>`s), now `<unk>`.
        public var outOfVocabulary = 0
        /// Characters of the text as read (after NFC), line ends included.
        public var characters = 0
        /// What the unknown tokens cost to spell under the vocabulary's ``SpellingModel``,
        /// in bits (word and character modes; a subword model's byte pieces leave nothing
        /// unknown). A literal `<unk>` is not spelled: it is the text's own unknown token,
        /// as in WikiText, and the model predicts it as a word.
        public var unknownSpellingBits = 0.0
        public var summary: LineReader.Summary

        public var outOfVocabularyRate: Double { ids.isEmpty ? 0 : Double(outOfVocabulary) / Double(ids.count) }
    }

    /// Tokenizes the file at `path`; every line ends with `<eos>`.
    /// - Throws: ``CorpusError`` (missing, unreadable, directory, invalid UTF-8, binary,
    ///   empty, no tokens).
    public static func tokenize(path: String, tokenizer: Tokenizer) throws -> Tokenized {
        if let pieces = tokenizer.subwordPieces { return try tokenizeIntoPieces(path: path, tokenizer: tokenizer, pieces: pieces) }
        var result = Tokenized()
        var index: [String: Int32] = [:]
        func record(_ token: String) {
            if let id = index[token] {
                result.typeCounts[Int(id)] += 1
                result.stream.append(id)
            } else {
                let id = Int32(result.types.count)
                index[token] = id
                result.types.append(token)
                result.typeCounts.append(1)
                result.stream.append(id)
            }
        }
        result.summary = try LineReader(path: path).forEachLine { line, _ in
            let characters = tokenizer.forEachToken(inLine: line) { record(String(decoding: $0, as: UTF16.self)) }
            record(SpecialToken.endOfLine)
            result.lineCharacters.append(Int32(clamping: characters + 1))
        }
        try checkNotEmpty(path: path, summary: result.summary, tokens: result.stream.count, lines: result.summary.lines)
        return result
    }

    /// Subword mode: the types are the model's pieces and the stream their ids, with no
    /// token text made or looked up.
    private static func tokenizeIntoPieces(path: String, tokenizer: Tokenizer, pieces: [String]) throws -> Tokenized {
        var result = Tokenized()
        result.types = pieces
        result.typeCounts = Array(repeating: 0, count: pieces.count)
        result.summary = try LineReader(path: path).forEachLine { line, _ in
            let characters = tokenizer.forEachPieceID(inLine: line) { result.stream.append($0) }
            result.stream.append(Vocabulary.endOfLineID)
            result.lineCharacters.append(Int32(clamping: characters + 1))
        }
        for id in result.stream { result.typeCounts[Int(id)] += 1 }
        try checkNotEmpty(path: path, summary: result.summary, tokens: result.stream.count, lines: result.summary.lines)
        return result
    }

    /// Encodes the file at `path` with `vocabulary`; unknown tokens become `<unk>`. A
    /// subword tokenizer's vocabulary is its pieces, so its ids are taken as they come.
    public static func encode(path: String, tokenizer: Tokenizer, vocabulary: Vocabulary) throws -> Encoded {
        var encoded = Encoded(summary: LineReader.Summary())
        if let pieces = tokenizer.subwordPieces {
            precondition(pieces == vocabulary.tokens, "a subword tokenizer encodes with its own vocabulary")
            encoded.summary = try LineReader(path: path).forEachLine { line, _ in
                encoded.characters += 1 + tokenizer.forEachPieceID(inLine: line) { id in
                    if id == Vocabulary.unknownID { encoded.outOfVocabulary += 1 }
                    encoded.ids.append(id)
                }
                encoded.ids.append(Vocabulary.endOfLineID)
            }
            try checkNotEmpty(path: path, summary: encoded.summary, tokens: encoded.ids.count, lines: encoded.summary.lines)
            return encoded
        }
        var spelling = UnknownTokenSpelling(vocabulary: vocabulary)
        encoded.summary = try LineReader(path: path).forEachLine { line, _ in
            encoded.characters += 1 + tokenizer.forEachToken(inLine: line) { units in
                let token = String(decoding: units, as: UTF16.self)
                let id = vocabulary.knownID(of: token)
                if id == Vocabulary.unknownID { encoded.outOfVocabulary += 1 }  // a literal <unk>: the text's own
                if id == nil {
                    encoded.outOfVocabulary += 1
                    encoded.unknownSpellingBits += spelling.bits(of: token)
                }
                encoded.ids.append(id ?? Vocabulary.unknownID)
            }
            encoded.ids.append(Vocabulary.endOfLineID)
        }
        try checkNotEmpty(path: path, summary: encoded.summary, tokens: encoded.ids.count, lines: encoded.summary.lines)
        return encoded
    }

    static func checkNotEmpty(path: String, summary: LineReader.Summary, tokens: Int, lines: Int) throws {
        if summary.bytes == 0 { throw CorpusError.empty(path: path) }
        // Only line ends: nothing to learn or score.
        if tokens <= lines { throw CorpusError.noTokens(path: path) }
    }
}

extension Corpus.Tokenized {
    /// Splits off the last `fraction` of the stream for validation, at a line end so no
    /// line is cut; the two parts never overlap. Returns the position where the held-out
    /// part starts.
    public func holdOutStart(fraction: Double) -> Int {
        let target = Int(Double(stream.count) * (1 - fraction))
        guard let endOfLine = types.firstIndex(of: SpecialToken.endOfLine) else { return target }
        var start = target
        while start > 0 && stream[start - 1] != Int32(endOfLine) { start -= 1 }
        return start > 0 ? start : target
    }

    /// The stream position where line `line` (0-based) starts: after `line` line ends.
    public func start(ofLine line: Int) -> Int {
        guard line > 0, let endOfLine = types.firstIndex(of: SpecialToken.endOfLine) else { return 0 }
        var seen = 0
        for (position, id) in stream.enumerated() where id == Int32(endOfLine) {
            seen += 1
            if seen == line { return position + 1 }
        }
        return stream.count
    }

    /// Characters (line ends included) of the lines in `stream[range]`, whose bounds lie
    /// at line starts.
    public func characters(in range: Range<Int>) -> Int {
        guard let endOfLine = types.firstIndex(of: SpecialToken.endOfLine) else { return 0 }
        let linesBefore = stream[..<range.lowerBound].count { $0 == Int32(endOfLine) }
        let lines = stream[range].count { $0 == Int32(endOfLine) }
        return lineCharacters[linesBefore..<(linesBefore + lines)].reduce(0) { $0 + Int($1) }
    }

    /// Token counts over `stream[range]` (the training part, for its vocabulary).
    public func counts(in range: Range<Int>) -> [String: Int] {
        var typeCounts = [Int](repeating: 0, count: types.count)
        for index in range { typeCounts[Int(stream[index])] += 1 }
        var counts: [String: Int] = [:]
        for (type, count) in zip(types, typeCounts) where count > 0 { counts[type] = count }
        return counts
    }

    /// `stream[range]` in `vocabulary`'s ids, with the number of `<unk>`s it produced.
    public func encoded(_ range: Range<Int>, with vocabulary: Vocabulary) -> (ids: [Int32], outOfVocabulary: Int) {
        let mapping = types.map { vocabulary.id(of: $0) }
        var outOfVocabulary = 0
        let ids = stream[range].map { provisional in
            let id = mapping[Int(provisional)]
            if id == Vocabulary.unknownID { outOfVocabulary += 1 }
            return id
        }
        return (ids, outOfVocabulary)
    }
}
