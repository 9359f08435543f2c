import LMTensor

/// A trainable tensor with its gradient, named as in PyTorch's `state_dict`
/// (`rnn.weight_ih_l0`, ...). Backward passes add into ``gradient``;
/// `LanguageModel.zeroGradients()` clears it.
public final class Parameter {
    public let name: String
    public let value: Tensor
    /// Allocated on first use, so a model that only runs (generation, evaluation) holds
    /// no gradient memory.
    public var gradient: Tensor {
        if let allocatedGradient { return allocatedGradient }
        let gradient = Tensor(shape: value.shape)
        allocatedGradient = gradient
        return gradient
    }
    private var allocatedGradient: Tensor?

    public var shape: [Int] { value.shape }

    public init(name: String, shape: [Int]) {
        self.name = name
        value = Tensor(shape: shape)
    }

    /// Fills the value uniformly from [lower, upper), in element order.
    func initializeUniform(_ lower: Float, _ upper: Float, generator: inout RandomGenerator) {
        for index in 0..<value.count { value[index] = generator.nextUniform(in: lower, upper) }
    }
}
