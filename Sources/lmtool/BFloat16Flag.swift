import ArgumentParser
import LMNetwork

/// `--bf16`: run a loaded model's products in bfloat16
/// (``LanguageModel/reduceWeightsToBFloat16()``): batch-1 generation reads half the
/// bytes per token, batched evaluation runs on AVX512_BF16 where the CPU has it, and
/// evaluation with the flag measures what the rounding costs in perplexity.
struct BFloat16Flag: ParsableArguments {
    @Flag(
        name: .customLong("bf16"),
        help: "Run the matrix products in bfloat16 (weights and inputs rounded, sums in Float32): faster, at the perplexity 'lmtool eval --bf16' reports.")
    var enabled = false

    func apply(to model: LanguageModel) {
        if enabled { model.reduceWeightsToBFloat16() }
    }
}
