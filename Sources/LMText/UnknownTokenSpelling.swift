/// What the tokens outside a vocabulary cost to spell (``SpellingModel``), with the rule
/// every count of a text's bits per character follows: a literal `<unk>` in the text is
/// the text's own unknown token, scored by the model as `<unk>`, and is not spelled. The
/// spelling model is trained at the first token that needs it, so a text without unknown
/// words never pays for it.
public struct UnknownTokenSpelling {
    private let vocabulary: Vocabulary
    private var model: SpellingModel?

    public init(vocabulary: Vocabulary) { self.vocabulary = vocabulary }

    /// `−log₂ p_spell(token)` for a token the vocabulary does not have; 0 for `<unk>`.
    public mutating func bits(of token: String) -> Double {
        guard token != SpecialToken.unknown else { return 0 }
        if model == nil { model = SpellingModel(vocabulary: vocabulary) }
        return model!.bits(of: token)
    }
}
