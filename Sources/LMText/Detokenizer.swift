/// Joins tokens back into readable text: `<eos>` becomes a line end; in character mode
/// tokens are concatenated; otherwise a space separates tokens except before closing
/// punctuation (`, . ! ? ; : ) ] }` and their CJK forms), after opening punctuation, and
/// between two tokens of scripts written without spaces (Han, Hiragana, Katakana, Thai).
/// Word-mode tokenizing drops the original spaces, so `detok(tok(text))` equals `text` up
/// to white space: where the text had none between punctuation and a word
/// (`"Hi,there"`) or had one before closing punctuation, the spacing is normalised.
public struct Detokenizer: Sendable {
    public let mode: TokenizerOptions.Mode

    public init(mode: TokenizerOptions.Mode) { self.mode = mode }

    /// Appends `tokens` to the text so far, returning what to print.
    public func join(_ tokens: [String]) -> String {
        var text = ""
        var previous: String?
        for token in tokens {
            text += separator(after: previous, before: token) + (token == SpecialToken.endOfLine ? "\n" : token)
            previous = token
        }
        return text
    }

    /// What goes between `previous` (nil at a line start) and `token`.
    public func separator(after previous: String?, before token: String) -> String {
        guard mode != .character, let previous, previous != SpecialToken.endOfLine,
            token != SpecialToken.endOfLine
        else { return "" }
        if let first = token.unicodeScalars.first, Self.closing.contains(first) { return "" }
        if let last = previous.unicodeScalars.last, Self.opening.contains(last), previous.unicodeScalars.count == 1 {
            return ""
        }
        if let last = previous.unicodeScalars.last, let first = token.unicodeScalars.first,
            Self.isUnspaced(last) && Self.isUnspaced(first)
        {
            return ""
        }
        return " "
    }

    static let closing: Set<Unicode.Scalar> = [
        ",", ".", "!", "?", ";", ":", ")", "]", "}", "%", "…", "”", "’", "»",
        "、", "。", "，", "．", "！", "？", "；", "：", "）", "」", "』", "】", "〉", "》",
    ]
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
