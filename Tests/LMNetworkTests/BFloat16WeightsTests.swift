import LMTensor
import Testing

@testable import LMNetwork

/// `reduceWeightsToBFloat16()`: batch-1 steps on the bfloat16 copies give the logits of
/// Float32 steps with the same rounded weights (to summation order), for every cell and
/// for tied weights; the embedding and biases keep their Float32 values.
@Suite struct BFloat16WeightsTests {
    static let configurations: [(String, ModelConfiguration)] = [
        ("lstm", ModelConfiguration(vocabularySize: 300, embeddingSize: 24, hiddenSize: 40, cell: .lstm)),
        ("lstm-peephole", ModelConfiguration(vocabularySize: 300, embeddingSize: 24, hiddenSize: 40, cell: .lstm, peephole: true)),
        ("gru", ModelConfiguration(vocabularySize: 300, embeddingSize: 24, hiddenSize: 40, cell: .gru)),
        ("rnn-tanh", ModelConfiguration(vocabularySize: 300, embeddingSize: 24, hiddenSize: 40, cell: .rnnTanh)),
        ("lstm-tied", ModelConfiguration(vocabularySize: 300, embeddingSize: 40, hiddenSize: 40, cell: .lstm, tieWeights: true)),
    ]

    @Test(arguments: configurations)
    func stepsOnTheCopiesMatchFloat32StepsWithRoundedWeights(name: String, configuration: ModelConfiguration) throws {
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
        let referenceState = RecurrentState(zerosFor: configuration, batchSize: 1)
        let (fast, slow) = (Tensor(shape: [1, 300]), Tensor(shape: [1, 300]))
        for step in 0..<12 {
            let token = Int32(generator.next() % 300)
            reduced.stepLogits(inputs: [token], state: &reducedState, into: fast)
            // Reference steps through a window of 1 on batch 2 (both rows the same), which
            // takes the Float32 products.
            var pairState = RecurrentState(zerosFor: configuration, batchSize: 2)
            for (layer, tensors) in referenceState.layers.enumerated() {
                for (index, tensor) in tensors.enumerated() { pairState.layers[layer][index].assign(tensor.values + tensor.values) }
            }
            let pair = Tensor(shape: [2, 300])
            reference.stepLogits(inputs: [token, token], state: &pairState, into: pair)
            slow.assign(Array(pair.values[0..<300]))
            for (layer, tensors) in pairState.layers.enumerated() {
                for (index, tensor) in tensors.enumerated() {
                    referenceState.layers[layer][index].assign(Array(tensor.values[0..<(tensor.count / 2)]))
                }
            }
            let worst = zip(fast.values, slow.values).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-5, "\(name) step \(step): logits differ by \(worst)")
        }
    }
}
