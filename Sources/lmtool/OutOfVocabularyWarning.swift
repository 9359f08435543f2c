/// The warning beside a perplexity whose text is more than 5% `<unk>`: the figure counts
/// each unknown token as one easy prediction, so it flatters the model (bits per
/// character pay for their spelling, but only under a simple character model).
enum OutOfVocabularyWarning {
    static let threshold = 0.05

    static func message(rate: Double, text: String) -> String {
        String(
            format: "lmtool: warning: %.1f%% of %@'s tokens are out of the vocabulary; perplexity counts each <unk> as one token, so it understates what the text costs, and bits per character spell them with a simple character model (a subword model, --tokenizer subword, has no unknown tokens)",
            100 * rate, text)
    }
}
