import ArgumentParser
import LMText

extension TokenizerOptions.Mode: ExpressibleByArgument {}

/// How text is split, shared by `tokenize`, `vocab` and `train`.
struct TokenizerFlags: ParsableArguments {
    @Option(help: "Token unit: word (ICU word boundaries), char (grapheme clusters) or whitespace (pre-tokenized text).")
    var tokenizer: TokenizerOptions.Mode = .word

    @Flag(help: "Fold case (Unicode full case folding) before splitting.")
    var lowercase = false

    @Flag(help: "Drop punctuation tokens (word mode).")
    var noPunctuation = false

    @Option(parsing: .unconditional, help: "Tokens longer than this many characters become <unk>.")
    var maxTokenLength: Int?

    var options: TokenizerOptions {
        TokenizerOptions(mode: tokenizer, lowercase: lowercase, keepPunctuation: !noPunctuation, maxTokenLength: maxTokenLength)
    }

    func check() throws {
        if let maxTokenLength, maxTokenLength < 1 { throw CommandError.flag("--max-token-length", "must be at least 1") }
    }
}
