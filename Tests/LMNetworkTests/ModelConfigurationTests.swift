import LMTensor
import Testing

@testable import LMNetwork

@Suite struct ModelConfigurationTests {
    @Test(arguments: [
        ModelConfiguration(vocabularySize: 13, embeddingSize: 5, hiddenSize: 7, layers: 3, cell: .lstm, peephole: true),
        ModelConfiguration(vocabularySize: 13, embeddingSize: 7, hiddenSize: 7, layers: 2, cell: .gru, tieWeights: true),
        ModelConfiguration(vocabularySize: 2, embeddingSize: 1, hiddenSize: 1, layers: 1, cell: .rnnReLU),
        {
            var awd = ModelConfiguration(vocabularySize: 13, embeddingSize: 4, hiddenSize: 9, layers: 3, tieWeights: true)
            awd.lastHiddenSize = 4
            return awd
        }(),
        {
            var single = ModelConfiguration(vocabularySize: 13, embeddingSize: 4, hiddenSize: 9, layers: 1, cell: .gru)
            single.lastHiddenSize = 5
            return single
        }(),
        {
            var adaptive = ModelConfiguration(vocabularySize: 23, embeddingSize: 4, hiddenSize: 9, layers: 2)
            (adaptive.lastHiddenSize, adaptive.softmax, adaptive.cutoffs) = (17, .adaptive, [5, 12])
            return adaptive
        }(),
    ])
    func parameterCountIsWhatTheModelAllocates(configuration: ModelConfiguration) throws {
        var generator = RandomGenerator(seed: 1)
        let model = try LanguageModel(configuration: configuration, generator: &generator)
        let allocated = model.parameters.reduce(0) { $0 + $1.value.count }
        #expect(configuration.parameterCount == allocated)
    }

    @Test func parameterCountOfAnAbsurdConfigurationIsNil() {
        #expect(ModelConfiguration(vocabularySize: 10, hiddenSize: Int.max / 4).parameterCount == nil)
        #expect(ModelConfiguration(vocabularySize: Int.max, embeddingSize: 3).parameterCount == nil)
    }
}
