import ArgumentParser
import LMNetwork

/// `--bf16`: run a loaded model with its weight matrices rounded to bfloat16
/// (``LanguageModel/reduceWeightsToBFloat16()``): batch-1 generation reads half the
/// bytes per token; evaluation with the flag measures what the rounding costs in perplexity.
struct BFloat16Flag: ParsableArguments {
    @Flag(
        name: .customLong("bf16"),
        help: "Round the weight matrices to bfloat16: faster batch-1 generation, at the perplexity 'lmtool eval --bf16' reports.")
    var enabled = false

    func apply(to model: LanguageModel) {
        if enabled { model.reduceWeightsToBFloat16() }
    }
}
