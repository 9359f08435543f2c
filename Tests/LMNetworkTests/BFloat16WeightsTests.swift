import LMTensor
import Testing

@testable import LMNetwork

/// `reduceWeightsToBFloat16()`: the weights are rounded and every product runs on the
/// bfloat16 copies; batch-1 steps (matrix-vector products) give the logits of batched
/// steps (products of several rows, AVX512_BF16 pair products where the CPU has them) to
/// summation order, for every cell and for tied weights, and both differ from the
/// Float32 model by no more than bfloat16 rounding does; the embedding and biases keep
/// their Float32 values.
@Suite struct BFloat16WeightsTests {
    static let configurations: [(String, ModelConfiguration)] = [
        ("lstm", ModelConfiguration(vocabularySize: 300, embeddingSize: 24, hiddenSize: 40, cell: .lstm)),
        ("lstm-peephole", ModelConfiguration(vocabularySize: 300, embeddingSize: 24, hiddenSize: 40, cell: .lstm, peephole: true)),
        ("gru", ModelConfiguration(vocabularySize: 300, embeddingSize: 24, hiddenSize: 40, cell: .gru)),
        ("rnn-tanh", ModelConfiguration(vocabularySize: 300, embeddingSize: 24, hiddenSize: 40, cell: .rnnTanh)),
        ("lstm-tied", ModelConfiguration(vocabularySize: 300, embeddingSize: 40, hiddenSize: 40, cell: .lstm, tieWeights: true)),
    ]

    @Test(arguments: configurations)
    func batchOneAndBatchedStepsAgreeOnTheCopies(name: String, configuration: ModelConfiguration) throws {
        var generator = RandomGenerator(seed: 9)
        let reduced = try LanguageModel(configuration: configuration, generator: &generator)
        let original = reduced.namedValues
        let reference = try LanguageModel(configuration: configuration, generator: &generator)
        try reference.load(original)
        reduced.reduceWeightsToBFloat16()
        for parameter in reference.parameters where parameter.shape.count == 2 && parameter.name != "encoder.weight" {
            parameter.value.withUnsafeMutableBufferPointer(BFloat16Matrix.round)
        }
        if configuration.tieWeights { reference.parameters[0].value.withUnsafeMutableBufferPointer(BFloat16Matrix.round) }
        #expect(reduced.namedValues == reference.namedValues, "\(name): the same rounded weights")
        if !configuration.tieWeights {
            #expect(reduced.namedValues["encoder.weight"] == original["encoder.weight"], "\(name): embedding kept")
        }
        #expect(reduced.namedValues["decoder.bias"] == original["decoder.bias"], "\(name): biases kept")
        let matrices = reduced.parameters.filter { $0.shape.count == 2 && $0.name != "encoder.weight" }
        #expect(matrices.count == 2 * configuration.layers + (configuration.tieWeights ? 0 : 1))
        #expect(matrices.allSatisfy { $0.bfloat16 != nil }, "\(name): every product weight has its copy")

        var reducedState = RecurrentState(zerosFor: configuration, batchSize: 1)
        var pairState = RecurrentState(zerosFor: configuration, batchSize: 2)
        var floatState = RecurrentState(zerosFor: configuration, batchSize: 1)
        let full = try LanguageModel(configuration: configuration, generator: &generator)
        try full.load(original)
        let (single, pair, float) = (Tensor(shape: [1, 300]), Tensor(shape: [2, 300]), Tensor(shape: [1, 300]))
        var largestRoundingEffect: Float = 0
        for step in 0..<12 {
            let token = Int32(generator.next() % 300)
            reduced.stepLogits(inputs: [token], state: &reducedState, into: single)
            // The same token on both rows of a batch of 2: the products of several rows.
            reduced.stepLogits(inputs: [token, token], state: &pairState, into: pair)
            full.stepLogits(inputs: [token], state: &floatState, into: float)
            for row in 0..<2 {
                let worst = zip(single.values, pair.values[(row * 300)..<(row * 300 + 300)]).map { abs($0 - $1) }.max() ?? 0
                #expect(worst < 1e-5, "\(name) step \(step) row \(row): logits differ by \(worst)")
            }
            let effect = zip(single.values, float.values).map { abs($0 - $1) }.max() ?? 0
            #expect(effect < 0.05, "\(name) step \(step): bfloat16 moved a logit by \(effect)")
            largestRoundingEffect = max(largestRoundingEffect, effect)
        }
        #expect(largestRoundingEffect > 0, "\(name): the products ran in bfloat16")
    }

    /// `copyWeightsToBFloat16()` (training with `--bf16`): the Float32 weights stay as they
    /// are; a training window's loss and every gradient stay within bfloat16 rounding of
    /// the Float32 window's, yet differ from them (the forward and backward products ran on
    /// the copies); after `dropBFloat16Copies()` the window is the Float32 one again, bit
    /// for bit.
    @Test(arguments: configurations)
    func mixedPrecisionWindowsStayWithinRoundingOfFloat32(name: String, configuration: ModelConfiguration) throws {
        var generator = RandomGenerator(seed: 21)
        let mixed = try LanguageModel(configuration: configuration, generator: &generator)
        let float = try LanguageModel(configuration: configuration, generator: &generator)
        try float.load(mixed.namedValues)
        let (batch, length) = (4, 6)
        let inputs = (0..<(batch * length)).map { _ in Int32(generator.next() % 300) }
        let targets = (0..<(batch * length)).map { _ in Int32(generator.next() % 300) }
        func window(_ model: LanguageModel) -> (loss: Double, gradients: [String: [Float]]) {
            var state = RecurrentState(zerosFor: configuration, batchSize: batch)
            var dropout = RandomGenerator(seed: 4)
            model.zeroGradients()
            let loss = model.trainWindow(
                inputs: inputs, targets: targets, windowLength: length, batchSize: batch, state: &state,
                generator: &dropout)
            return (loss, Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.gradientValues) }))
        }
        let before = mixed.namedValues
        mixed.copyWeightsToBFloat16()
        #expect(mixed.namedValues == before, "\(name): the Float32 weights are left as they are")
        let (reference, reduced) = (window(float), window(mixed))
        #expect(abs(reduced.loss - reference.loss) <= 1e-3 * reference.loss, "\(name): loss \(reduced.loss) against \(reference.loss)")
        var moved = false
        for (parameter, expected) in reference.gradients {
            let actual = reduced.gradients[parameter]!
            let difference = zip(actual, expected).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +).squareRoot()
            let size = expected.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
            #expect(difference <= 0.02 * size, "\(name) \(parameter): gradient off by \(difference) of \(size)")
            moved = moved || difference > 0
        }
        #expect(moved, "\(name): the products ran in bfloat16")
        mixed.dropBFloat16Copies()
        let dropped = window(mixed)
        #expect(dropped.loss == reference.loss, "\(name): Float32 again without the copies")
        #expect(dropped.gradients == reference.gradients, "\(name): Float32 gradients again")
    }
}
