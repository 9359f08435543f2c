import ArgumentParser
import LMTensor
import LMText

extension TokenizerOptions.Mode: ExpressibleByArgument {}
extension SubwordModel.Algorithm: ExpressibleByArgument {}

/// How text is split, shared by `tokenize`, `vocab` and `train`.
struct TokenizerFlags: ParsableArguments {
    @Option(
        help: "Token unit: word (ICU word boundaries), char (grapheme clusters), whitespace (pre-tokenized text) or subword (SentencePiece, trained on the training text).")
    var tokenizer: TokenizerOptions.Mode = .word

    @Option(help: "Subword pieces in all (default: 4000 below 1M characters of training text, 8000 below 10M, 16000 below 100M, else 32000).")
    var vocabSize: Int?

    @Option(help: "Subword algorithm: unigram (unigram language model) or bpe (byte-pair encoding).")
    var subwordModel: SubwordModel.Algorithm?

    @Flag(help: "Fold case (Unicode full case folding) before splitting.")
    var lowercase = false

    @Flag(help: "Drop punctuation tokens (word mode).")
    var noPunctuation = false

    @Option(parsing: .unconditional, help: "Tokens longer than this many characters become <unk>.")
    var maxTokenLength: Int?

    var options: TokenizerOptions {
        TokenizerOptions(
            mode: tokenizer, lowercase: lowercase, keepPunctuation: !noPunctuation, maxTokenLength: maxTokenLength,
            subwordAlgorithm: tokenizer == .subword ? subwordModel ?? .unigram : nil,
            subwordVocabularySize: tokenizer == .subword ? vocabSize : nil)
    }

    mutating func validate() throws {
        if let maxTokenLength, maxTokenLength < 1 { throw CommandError.flag("--max-token-length", "must be at least 1") }
        if tokenizer != .subword {
            if vocabSize != nil { throw CommandError.flag("--vocab-size", "needs --tokenizer subword (other tokenizers: --max-vocab)") }
            if subwordModel != nil { throw CommandError.flag("--subword-model", "needs --tokenizer subword") }
        } else {
            if let vocabSize, !(300...1_000_000).contains(vocabSize) {
                throw CommandError.flag("--vocab-size", "must be in [300, 1000000] (2 special and 256 byte pieces come first)")
            }
            if maxTokenLength != nil { throw CommandError.flag("--max-token-length", "does not apply to --tokenizer subword") }
            if noPunctuation { throw CommandError.flag("--no-punctuation", "does not apply to --tokenizer subword") }
        }
    }

    /// A subword model's vocabulary is its pieces: `--min-count` and `--max-vocab` have no
    /// say in it.
    func checkVocabularyFlags(minCount: Int, maxVocab: Int?) throws {
        guard tokenizer == .subword else { return }
        if minCount != 1 { throw CommandError.flag("--min-count", "does not apply to --tokenizer subword (its pieces are its vocabulary)") }
        if maxVocab != nil { throw CommandError.flag("--max-vocab", "does not apply to --tokenizer subword; use --vocab-size") }
    }

    /// Subword mode without a model: a subword model trained on all of `file`.
    func trainSubwordModel(on file: String) throws -> SubwordModel {
        try SubwordModel.train(path: file, options: options, heldOutFraction: 0, threads: ComputeThreads.count, seed: 1111).model
    }
}
