import LMTensor

/// What turns the last layer's outputs `[N, H]` into a distribution over the `V` tokens:
/// the full softmax (``Decoder``) or the adaptive softmax (``AdaptiveSoftmax``).
protocol OutputLayer: AnyObject {
    /// The weight matrices it multiplies by, which bfloat16 copies stand in for.
    var productWeights: [Parameter] { get }

    /// Draws its weights as lmtool initialises them, in parameter order.
    func initializeUniformly(generator: inout RandomGenerator)

    /// Sum over the rows of `−log p(target)`, in Float64. With `hiddenGradient`, also
    /// back-propagates the loss scaled by `gradientScale` (1/N for a mean): adds into the
    /// layer's gradients and writes `dH [N, H]`.
    func loss(
        hidden: UnsafePointer<Float>, targets: [Int32], hiddenGradient: UnsafeMutablePointer<Float>?,
        gradientScale: Float
    ) -> Double

    /// `[rows, V]` scores whose softmax is the model's distribution: the full softmax's
    /// logits, or the adaptive softmax's log-probabilities (`softmax(log p) = p`).
    func logits(_ hidden: UnsafePointer<Float>, rows: Int, into logits: UnsafeMutablePointer<Float>)
}

extension Decoder: OutputLayer {
    var productWeights: [Parameter] { [weight] }

    /// The weight uniform in ±0.1 as the PyTorch example draws it, the bias left at 0. Not
    /// called for a weight tied to the embedding, which the embedding draws.
    func initializeUniformly(generator: inout RandomGenerator) {
        weight.initializeUniform(-0.1, 0.1, generator: &generator)
    }
}
