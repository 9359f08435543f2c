/// How text becomes tokens. Stored in a model's `config.json` so that generation and
/// evaluation read text exactly as training did.
public struct TokenizerOptions: Codable, Equatable, Sendable {
    public enum Mode: String, Codable, CaseIterable, Sendable {
        /// ICU word boundaries after NFC normalisation; white space dropped, punctuation
        /// and symbols kept as tokens.
        case word
        /// One token per extended grapheme cluster (user-perceived character), spaces included.
        case character = "char"
        /// Split on white space only, for corpora that come tokenized (PTB, WikiText-2).
        case whitespace
        /// SentencePiece subword units trained on the training text (``SubwordModel``):
        /// an open vocabulary, no text ever `<unk>`.
        case subword
    }

    public var mode = Mode.word
    /// Apply Unicode full case folding (ICU) before splitting.
    public var lowercase = false
    /// Word mode: keep punctuation tokens (symbols and emoji are always kept).
    public var keepPunctuation = true
    /// Tokens longer than this many Unicode scalars become `<unk>`.
    public var maxTokenLength: Int?
    /// Subword mode: the algorithm SentencePiece trains.
    public var subwordAlgorithm: SubwordModel.Algorithm?
    /// Subword mode: the number of pieces asked for (nil: chosen from the corpus size,
    /// ``SubwordModel/defaultVocabularySize(characters:)``).
    public var subwordVocabularySize: Int?

    public init(
        mode: Mode = .word, lowercase: Bool = false, keepPunctuation: Bool = true, maxTokenLength: Int? = nil,
        subwordAlgorithm: SubwordModel.Algorithm? = nil, subwordVocabularySize: Int? = nil
    ) {
        self.mode = mode
        self.lowercase = lowercase
        self.keepPunctuation = keepPunctuation
        self.maxTokenLength = maxTokenLength
        self.subwordAlgorithm = subwordAlgorithm
        self.subwordVocabularySize = subwordVocabularySize
    }
}

/// The tokens with a fixed meaning in every vocabulary.
public enum SpecialToken {
    /// Unknown: out-of-vocabulary words, and a literal `<unk>` in the text.
    public static let unknown = "<unk>"
    /// End of line.
    public static let endOfLine = "<eos>"
}
