import CICU

/// Splits text into tokens according to ``TokenizerOptions``.
///
/// Lines are processed one at a time (line ends become ``SpecialToken/endOfLine`` in the
/// corpus reader, not here). Per line: case folding when asked, NFC normalisation (ICU;
/// skipped when ICU's quick check says the line is NFC already), then the mode's split:
/// ICU boundaries, white space, or SentencePiece's pieces. Outside subword mode a literal
/// `<unk>` is cut out as the unknown token; in subword mode text is only text, spelled
/// by pieces like any other. A tokenizer keeps its buffers, ICU iterators and
/// SentencePiece processor between lines: use one per thread.
public final class Tokenizer {
    public let options: TokenizerOptions
    private let breaker: ICUBreaker?
    private let subwordModel: SubwordModel?
    private let subwords: SentencePieceProcessor?
    /// Subword mode: each piece's text in UTF-16, by id.
    private let pieceUnits: [[UInt16]]
    private let normalizer: TextNormalizer
    /// Word mode, within a line: the last scalar of the token emitted last (nil at the
    /// line's start), whether that token was a single scalar, and whether white space (or
    /// dropped punctuation) came after it: what ``SpacingMark`` needs.
    private var previousLast: Unicode.Scalar?
    private var previousIsSingle = false
    private var sawSpace = false
    /// A marked token being emitted.
    private var marked: [UInt16] = []
    private static let unknownUnits = Array(SpecialToken.unknown.utf16)

    /// A tokenizer for `options`; subword mode needs the trained `subwordModel`.
    public init(options: TokenizerOptions, subwordModel: SubwordModel? = nil) {
        precondition((options.mode == .subword) == (subwordModel != nil), "subword mode, and only it, reads with a subword model")
        self.options = options
        normalizer = TextNormalizer(options: options)
        breaker =
            switch options.mode {
            case .word: ICUBreaker(.word)
            case .character: ICUBreaker(.character)
            case .whitespace, .subword: nil
            }
        self.subwordModel = subwordModel
        // The model was checked when it was read or trained: it loads.
        subwords = subwordModel.map { try! SentencePieceProcessor(serialized: $0.serialized) }
        pieceUnits = subwordModel?.pieces.map { Array($0.utf16) } ?? []
    }

    /// Calls `body` with each token of `line` (UTF-16, no line end), in order, and
    /// returns the number of characters (Unicode scalars) of the line as read: after case
    /// folding and NFC, the text a model scores.
    @discardableResult
    package func forEachToken(inLine line: UnsafeBufferPointer<UInt16>, _ body: (UnsafeBufferPointer<UInt16>) -> Void) -> Int {
        if subwords != nil {
            return forEachPieceID(inLine: line) { id in pieceUnits[Int(id)].withUnsafeBufferPointer(body) }
        }
        let text = normalizer.normalize(line)
        previousLast = nil
        sawSpace = false
        var start = 0
        var index = 0
        let unknown = Self.unknownUnits
        while index + unknown.count <= text.count {
            if text[index] == 0x3C && unknown.indices.allSatisfy({ text[index + $0] == unknown[$0] }) {
                split(UnsafeBufferPointer(rebasing: text[start..<index]), body)
                emitUnknown(body)
                index += unknown.count
                start = index
            } else {
                index += 1
            }
        }
        split(UnsafeBufferPointer(rebasing: text[start..<text.count]), body)
        return Self.scalarCount(text)
    }

    /// Subword mode: the model's pieces in id order (nil in the other modes).
    public var subwordPieces: [String]? { subwordModel?.pieces }

    /// Subword mode: calls `body` with the piece id of each token of `line`, and returns
    /// the line's characters as ``forEachToken(inLine:_:)`` does.
    @discardableResult
    package func forEachPieceID(inLine line: UnsafeBufferPointer<UInt16>, _ body: (Int32) -> Void) -> Int {
        guard let subwords else { preconditionFailure("piece ids come from a subword tokenizer") }
        let text = normalizer.normalize(line)
        subwords.encode(text) { ids in ids.forEach(body) }
        return Self.scalarCount(text)
    }

    /// The tokens of `text`, each line followed by `<eos>` (a final line without a line
    /// end too): a convenience for tests and small inputs.
    public func tokens(in text: String) -> [String] {
        var tokens: [String] = []
        var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        if lines.last?.isEmpty == true { lines.removeLast() }
        for line in lines {
            let units = Array(line.utf16)
            units.withUnsafeBufferPointer { buffer in
                _ = forEachToken(inLine: buffer) { tokens.append(String(decoding: $0, as: UTF16.self)) }
            }
            tokens.append(SpecialToken.endOfLine)
        }
        return tokens
    }

    // MARK: - Splitting

    private func split(_ text: UnsafeBufferPointer<UInt16>, _ body: (UnsafeBufferPointer<UInt16>) -> Void) {
        guard !text.isEmpty else { return }
        switch options.mode {
        case .whitespace:
            var start: Int?
            var index = 0
            while index < text.count {
                let (scalar, width) = Self.scalar(in: text, at: index)
                if Self.isWhiteSpace(scalar) {
                    if let begin = start { emit(text, begin, index, body) }
                    start = nil
                } else if start == nil {
                    start = index
                }
                index += width
            }
            if let begin = start { emit(text, begin, text.count, body) }
        case .character:
            breaker?.forEachSegment(text) { start, end, _ in emit(text, start, end, body) }
        case .subword:
            preconditionFailure("subword lines are encoded whole")
        case .word:
            breaker?.forEachSegment(text) { start, end, status in
                // Rule status 100 and above: numbers, letters, kana, ideographs.
                if status >= 100 {
                    emit(text, start, end, body)
                    return
                }
                var allWhiteSpace = true
                var allPunctuation = true
                var index = start
                while index < end {
                    let (scalar, width) = Self.scalar(in: text, at: index)
                    if !Self.isWhiteSpace(scalar) { allWhiteSpace = false }
                    if !Self.isPunctuation(scalar) { allPunctuation = false }
                    index += width
                }
                if allWhiteSpace || (allPunctuation && !options.keepPunctuation) {
                    sawSpace = true
                    return
                }
                emit(text, start, end, body)
            }
        }
    }

    private func emit(
        _ text: UnsafeBufferPointer<UInt16>, _ start: Int, _ end: Int, _ body: (UnsafeBufferPointer<UInt16>) -> Void
    ) {
        let token = UnsafeBufferPointer(rebasing: text[start..<end])
        if let limit = options.maxTokenLength, Self.scalarCount(token) > limit {
            emitUnknown(body)
            return
        }
        guard options.mode == .word else {
            body(token)
            return
        }
        let (first, _) = Self.scalar(in: token, at: 0)
        let (last, lastWidth) = Self.lastScalar(of: token)
        var mark: SpacingMark?
        if let previousLast, let first = Unicode.Scalar(first) {
            let expected = Detokenizer.spacesByDefault(afterLast: previousLast, single: previousIsSingle, before: first)
            if sawSpace != expected || SpacingMark.isMark(token[0]) { mark = sawSpace ? .space : .join }
        } else if SpacingMark.isMark(token[0]) {
            mark = .join
        }
        previousLast = Unicode.Scalar(last)
        previousIsSingle = lastWidth == token.count
        sawSpace = false
        guard let mark else {
            body(token)
            return
        }
        marked.removeAll(keepingCapacity: true)
        marked.append(mark.rawValue)
        marked.append(contentsOf: token)
        marked.withUnsafeBufferPointer(body)
    }

    /// `<unk>`, never marked; in word mode the next token's spacing is reckoned from it.
    private func emitUnknown(_ body: (UnsafeBufferPointer<UInt16>) -> Void) {
        Self.unknownUnits.withUnsafeBufferPointer(body)
        previousLast = ">"
        previousIsSingle = false
        sawSpace = false
    }

    // MARK: - Code points

    /// Unicode scalars in UTF-16 text (each surrogate pair counts once).
    static func scalarCount(_ text: UnsafeBufferPointer<UInt16>) -> Int {
        text.reduce(0) { $0 + (($1 & 0xFC00) == 0xDC00 ? 0 : 1) }
    }

    /// The last scalar of non-empty UTF-16 text and its width in units.
    static func lastScalar(of text: UnsafeBufferPointer<UInt16>) -> (UInt32, Int) {
        let end = text.count - 1
        if text[end] & 0xFC00 == 0xDC00, end > 0, text[end - 1] & 0xFC00 == 0xD800 { return scalar(in: text, at: end - 1) }
        return (UInt32(text[end]), 1)
    }

    @inline(__always)
    static func scalar(in text: UnsafeBufferPointer<UInt16>, at index: Int) -> (UInt32, Int) {
        let unit = text[index]
        if unit & 0xFC00 == 0xD800, index + 1 < text.count, text[index + 1] & 0xFC00 == 0xDC00 {
            return (0x10000 + (UInt32(unit & 0x3FF) << 10) + UInt32(text[index + 1] & 0x3FF), 2)
        }
        return (UInt32(unit), 1)
    }

    @inline(__always)
    static func isWhiteSpace(_ scalar: UInt32) -> Bool {
        if scalar < 0x80 { return scalar == 0x20 || (0x09...0x0D).contains(scalar) }
        return cicu_is_white_space(Int32(scalar)) != 0
    }

    /// General categories Pd, Ps, Pe, Pc, Po, Pi, Pf (ICU `UCharCategory` 19-23, 28, 29).
    static func isPunctuation(_ scalar: UInt32) -> Bool {
        switch cicu_char_type(Int32(scalar)) {
        case 19...23, 28, 29: true
        default: false
        }
    }
}
