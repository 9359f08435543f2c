/// Joins tokens back into readable text: `<eos>` becomes a line end; in character mode
/// tokens are concatenated; in subword mode pieces are concatenated with `▁` read as a
/// space (the one SentencePiece adds before a line's first piece dropped) and byte pieces
/// (`<0xE3>`) joined into the characters they spell, which gives every line back
/// exactly; otherwise a space separates tokens except before closing
/// punctuation (`, . ! ? ; : ) ] }` and their CJK forms), after opening punctuation, and
/// between two tokens of scripts written without spaces (Han, Hiragana, Katakana, Thai).
/// Word-mode tokens carry a `SpacingMark` where the text's spacing differs from that
/// default (`12시` is `12` `⁀시`), so `detok(tok(line))` gives the line back with each run
/// of white space as one space and none at its ends.
public struct Detokenizer: Sendable {
    public let mode: TokenizerOptions.Mode
    /// The token appended last (nil at the start).
    private var previous: String?
    /// Subword mode: bytes of a character whose byte pieces have not all come yet.
    private var pendingBytes: [UInt8] = []

    public init(mode: TokenizerOptions.Mode) { self.mode = mode }

    /// The text of `tokens`.
    public func join(_ tokens: [String]) -> String {
        var detokenizer = Detokenizer(mode: mode)
        return tokens.map { detokenizer.append($0) }.joined() + detokenizer.flush()
    }

    /// The text `token` adds to the tokens appended so far (streamed generation prints
    /// it as it comes). A byte piece that starts a character adds nothing until the
    /// character is complete.
    public mutating func append(_ token: String) -> String {
        defer { previous = mode == .word ? SpacingMark.unmarked(token) : token }
        if mode == .subword { return appendPiece(token) }
        let separator = separator(after: previous, before: token)
        guard token != SpecialToken.endOfLine else { return "\n" }
        return separator + (mode == .word ? SpacingMark.unmarked(token) : token)
    }

    /// Bytes still held back (an unfinished character), as replacement characters.
    public mutating func flush() -> String {
        defer { pendingBytes.removeAll() }
        return String(decoding: pendingBytes, as: UTF8.self)
    }

    private mutating func appendPiece(_ piece: String) -> String {
        if let byte = Self.byteValue(of: piece) {
            pendingBytes.append(byte)
            let expected = Self.sequenceLength(leadingByte: pendingBytes[0])
            guard pendingBytes.count >= expected else { return "" }
            return flush()
        }
        var text = flush()
        if piece == SpecialToken.endOfLine { return text + "\n" }
        let atLineStart = previous == nil || previous == SpecialToken.endOfLine
        var spaced = piece.replacingOccurrences(of: "\u{2581}", with: " ")
        if atLineStart && spaced.hasPrefix(" ") { spaced.removeFirst() }
        text += spaced
        return text
    }

    /// The byte a byte-fallback piece (`<0x41>`) stands for.
    static func byteValue(of piece: String) -> UInt8? {
        let scalars = piece.unicodeScalars
        guard scalars.count == 6, piece.hasPrefix("<0x"), piece.hasSuffix(">") else { return nil }
        return UInt8(piece.dropFirst(3).dropLast(), radix: 16)
    }

    /// Bytes in the UTF-8 sequence a leading byte starts (1 for a stray byte, which
    /// decodes to U+FFFD).
    static func sequenceLength(leadingByte byte: UInt8) -> Int {
        switch byte {
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: 1
        }
    }

    /// What goes between `previous` (nil at a line start) and `token`: in word mode the
    /// spacing a mark on `token` records, otherwise the language's default.
    public func separator(after previous: String?, before token: String) -> String {
        guard mode != .character, let previous, previous != SpecialToken.endOfLine,
            token != SpecialToken.endOfLine
        else { return "" }
        if mode == .word, let mark = SpacingMark(leading: token) { return mark == .space ? " " : "" }
        guard let last = previous.unicodeScalars.last, let first = token.unicodeScalars.first else { return " " }
        return Self.spacesByDefault(afterLast: last, single: previous.unicodeScalars.count == 1, before: first) ? " " : ""
    }

    /// The default between two tokens: a space, except before closing punctuation, after
    /// a lone opening punctuation mark (`previousIsSingle`), around hyphens (`to-morrow`,
    /// `word--word`), and between two characters of scripts written without spaces.
    static func spacesByDefault(afterLast last: Unicode.Scalar, single previousIsSingle: Bool, before first: Unicode.Scalar) -> Bool {
        if closing.contains(first) || hyphens.contains(first) || hyphens.contains(last) { return false }
        if previousIsSingle && opening.contains(last) { return false }
        return !(isUnspaced(last) && isUnspaced(first))
    }

    static let closing: Set<Unicode.Scalar> = [
        ",", ".", "!", "?", ";", ":", ")", "]", "}", "%", "…", "”", "’", "»",
        "、", "。", "，", "．", "！", "？", "；", "：", "）", "」", "』", "】", "〉", "》", "،", "؛", "؟", "٪",
    ]
    static let hyphens: Set<Unicode.Scalar> = ["-", "\u{2010}"]
    static let opening: Set<Unicode.Scalar> = ["(", "[", "{", "“", "‘", "«", "¿", "¡", "（", "「", "『", "【", "〈", "《"]

    /// Scripts written without spaces between words.
    static func isUnspaced(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3040...0x30FF, 0x31F0...0x31FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FFFF,
            0x0E00...0x0E7F, 0x3000...0x303F, 0xFF00...0xFFEF:
            true
        default: false
        }
    }
}
