/// The warning beside a perplexity whose text is more than 5% `<unk>`: the figure counts
/// each unknown token as one easy prediction, so it flatters the model.
enum OutOfVocabularyWarning {
    static let threshold = 0.05

    static func message(rate: Double, text: String) -> String {
        String(
            format: "lmtool: warning: %.1f%% of %@'s tokens are out of the vocabulary; perplexity and bits per character count each <unk> as one token, so they understate what the text costs (a subword model, --tokenizer subword, has no unknown tokens)",
            100 * rate, text)
    }
}
