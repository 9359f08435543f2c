import LMTensor

/// A trainable tensor with its gradient, named as in PyTorch's `state_dict`
/// (`rnn.weight_ih_l0`, ...). Backward passes add into ``gradient``;
/// `LanguageModel.zeroGradients()` clears it.
public final class Parameter {
    public let name: String
    public let value: Tensor
    public let gradient: Tensor

    public var shape: [Int] { value.shape }

    public init(name: String, shape: [Int]) {
        self.name = name
        value = Tensor(shape: shape)
        gradient = Tensor(shape: shape)
    }

    /// Fills the value uniformly from [lower, upper), in element order.
    func initializeUniform(_ lower: Float, _ upper: Float, generator: inout RandomGenerator) {
        for index in 0..<value.count { value[index] = generator.nextUniform(in: lower, upper) }
    }
}
