import LMTensor

/// Inverted dropout: at training time each element is zeroed with probability `p` and the
/// rest scaled by `1 / (1 − p)`, so evaluation is the identity. Standard dropout draws a
/// new mask for every element of `[T, B, D]`; variational dropout (Gal & Ghahramani)
/// draws one `[B, D]` mask per window and applies it at every step.
struct Dropout {
    let probability: Float
    let variational: Bool
    /// `[T, B, D]` (or `[B, D]` when variational): 0 or `1 / (1 − p)`.
    private var mask = Workspace()
    private var maskRows = 0

    init(probability: Float, variational: Bool) {
        self.probability = probability
        self.variational = variational
    }

    var isActive: Bool { probability > 0 }

    /// Applies a fresh mask to `values` `[T, B, D]` in place.
    mutating func forward(
        _ values: UnsafeMutablePointer<Float>, windowLength: Int, batchSize: Int, width: Int,
        generator: inout RandomGenerator
    ) {
        guard isActive else { return }
        let rows = variational ? batchSize : windowLength * batchSize
        let scale = 1 / (1 - probability)
        let mask = mask.reserve(rows * width)
        for index in 0..<(rows * width) {
            mask[index] = generator.nextUniform() < probability ? 0 : scale
        }
        maskRows = rows
        Self.multiply(values, count: windowLength * batchSize * width, by: mask, repeating: rows * width)
    }

    /// Multiplies `gradient` `[T, B, D]` by the mask of the last forward.
    mutating func backward(_ gradient: UnsafeMutablePointer<Float>, windowLength: Int, batchSize: Int, width: Int) {
        guard isActive else { return }
        let mask = mask.reserve(maskRows * width)
        Self.multiply(gradient, count: windowLength * batchSize * width, by: mask, repeating: maskRows * width)
    }

    /// `values[i] *= mask[i mod period]`, a block of `period` at a time (no division per
    /// element, and a loop the compiler vectorises).
    private static func multiply(
        _ values: UnsafeMutablePointer<Float>, count: Int, by mask: UnsafePointer<Float>, repeating period: Int
    ) {
        for start in stride(from: 0, to: count, by: period) {
            let block = values + start
            for index in 0..<min(period, count - start) { block[index] *= mask[index] }
        }
    }
}
