/// How word mode records the spacing its tokens lose. White space is dropped from word
/// tokens, and ``Detokenizer`` puts back the language's default (a space between words,
/// none before closing punctuation or between Han, kana and Thai). Where the text's
/// spacing differs from that default, the token starts with a mark, as SentencePiece's
/// `▁` marks a piece that follows white space: `⁀` (U+2040, character tie) where the
/// token follows the previous one directly (`12시` is `12` `⁀시`), `▁` (U+2581) where white
/// space precedes it against the default (`word ,` is `word` `▁,`). A token that itself
/// begins with one of these characters always carries a mark, so a mark is never
/// mistaken for text. The first token of a line and `<unk>` are never marked.
package enum SpacingMark: UInt16, Sendable {
    case join = 0x2040
    case space = 0x2581

    /// The mark `token` starts with, when it is longer than the mark.
    package init?(leading token: String) {
        guard let first = token.utf16.first, let mark = SpacingMark(rawValue: first), token.utf16.count > 1 else { return nil }
        self = mark
    }

    /// `token` without its mark.
    package static func unmarked(_ token: String) -> String {
        SpacingMark(leading: token) == nil ? token : String(token.dropFirst())
    }

    /// Whether a token's first UTF-16 unit is a mark character (which then needs a mark).
    static func isMark(_ unit: UInt16) -> Bool { SpacingMark(rawValue: unit) != nil }
}
