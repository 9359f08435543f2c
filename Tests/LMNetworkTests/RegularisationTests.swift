import Foundation
import LMTensor
import Testing

@testable import LMNetwork

/// AWD-LSTM's regularisers (their gradients are checked in ``LanguageModelGradientTests``):
/// they act in training windows only, leave the weights as they found them, and follow
/// the configuration's rates.
@Suite struct RegularisationTests {
    static let (windowLength, batchSize) = (5, 3)

    static func awd(_ cell: CellKind = .lstm) -> ModelConfiguration {
        var configuration = ModelConfiguration(vocabularySize: 11, embeddingSize: 6, hiddenSize: 6, cell: cell, dropout: 0.2)
        (configuration.inputDropout, configuration.hiddenDropout, configuration.outputDropout) = (0.3, 0.25, 0.4)
        (configuration.weightDrop, configuration.embeddingDropout) = (0.5, 0.1)
        (configuration.activationPenalty, configuration.temporalActivationPenalty) = (2, 1)
        return configuration
    }

    static func window(_ configuration: ModelConfiguration) -> (inputs: [Int32], targets: [Int32]) {
        var generator = RandomGenerator(seed: 3)
        let count = windowLength * batchSize
        return (
            (0..<count).map { _ in Int32(generator.next() % UInt64(configuration.vocabularySize)) },
            (0..<count).map { _ in Int32(generator.next() % UInt64(configuration.vocabularySize)) }
        )
    }

    @Test(arguments: [CellKind.lstm, .gru, .rnnTanh])
    func aTrainingWindowLeavesTheRecurrentWeightsAsTheyWere(cell: CellKind) throws {
        var generator = RandomGenerator(seed: 1)
        let model = try LanguageModel(configuration: Self.awd(cell), generator: &generator)
        let before = model.namedValues
        let (inputs, targets) = Self.window(model.configuration)
        var state = RecurrentState(zerosFor: model.configuration, batchSize: Self.batchSize)
        model.zeroGradients()
        _ = model.trainWindow(
            inputs: inputs, targets: targets, windowLength: Self.windowLength, batchSize: Self.batchSize,
            state: &state, generator: &generator)
        #expect(model.namedValues == before)
        // Half the recurrent weights are dropped for the window: their gradient is exactly 0.
        let hiddenGradient = try #require(model.parameter(named: "rnn.weight_hh_l0")).gradientValues
        let zeros = hiddenGradient.filter { $0 == 0 }.count
        #expect(zeros > hiddenGradient.count / 4 && zeros < hiddenGradient.count * 3 / 4)
    }

    @Test func evaluationRunsThePlainNetwork() throws {
        var generator = RandomGenerator(seed: 1)
        let regularised = try LanguageModel(configuration: Self.awd(), generator: &generator)
        var plainConfiguration = Self.awd()
        (plainConfiguration.inputDropout, plainConfiguration.hiddenDropout, plainConfiguration.outputDropout) = (nil, nil, nil)
        (plainConfiguration.weightDrop, plainConfiguration.embeddingDropout) = (0, 0)
        (plainConfiguration.activationPenalty, plainConfiguration.temporalActivationPenalty) = (0, 0)
        let plain = try LanguageModel(configuration: plainConfiguration)
        try plain.load(regularised.namedValues)
        let (inputs, targets) = Self.window(plainConfiguration)
        func loss(_ model: LanguageModel) -> Double {
            var state = RecurrentState(zerosFor: model.configuration, batchSize: Self.batchSize)
            return model.evaluateWindow(
                inputs: inputs, targets: targets, windowLength: Self.windowLength, batchSize: Self.batchSize, state: &state)
        }
        #expect(loss(regularised) == loss(plain))
    }

    /// AR and TAR by hand on `h` `[T = 3, B = 1, H = 2]` = (1, 2), (3, 5), (4, 4).
    @Test func theActivationPenaltiesAreTheirDefinitions() {
        let outputs: [Float] = [1, 2, 3, 5, 4, 4]
        let shape = ActivationPenalties.Shape(windowLength: 3, batchSize: 1, width: 2)
        let penalties = ActivationPenalties(activation: 2, temporal: 1)
        var gradient = [Float](repeating: 0, count: 6)
        // AR = α · Σh² / 6 = 2 · 71 / 6; its gradient 2α h / 6.
        let activation = penalties.addActivation(of: outputs, shape, gradient: &gradient)
        #expect(abs(activation - 2 * 71 / 6) < 1e-12)
        #expect(zip(gradient, outputs).allSatisfy { abs($0 - 4 * $1 / 6) < 1e-6 })
        // Differences (2, 3), (1, −1): TAR = β · 15 / 4; its gradient 2β / 4 · (d_{t−1} − d_t).
        gradient = [Float](repeating: 0, count: 6)
        let temporal = penalties.addTemporal(of: outputs, shape, gradient: &gradient)
        #expect(abs(temporal - 15.0 / 4) < 1e-12)
        #expect(gradient == [-1, -1.5, 0.5, 2, 0.5, -0.5])
        // One step has no difference.
        #expect(penalties.addTemporal(of: outputs, .init(windowLength: 1, batchSize: 3, width: 2), gradient: &gradient) == 0)
    }

    @Test func oldConfigurationsLoadWithTheRegularisersOff() throws {
        let old = """
            {"vocabularySize": 9, "embeddingSize": 5, "hiddenSize": 6, "layers": 2, "cell": "lstm",
             "peephole": false, "dropout": 0.3, "variationalDropout": false, "tieWeights": false}
            """
        let configuration = try JSONDecoder().decode(ModelConfiguration.self, from: Data(old.utf8))
        #expect(configuration == ModelConfiguration(vocabularySize: 9, embeddingSize: 5, hiddenSize: 6, dropout: 0.3))
        #expect(configuration.dropoutRates == (0.3, 0.3, 0.3))
        let written = try JSONEncoder().encode(Self.awd())
        #expect(try JSONDecoder().decode(ModelConfiguration.self, from: written) == Self.awd())
    }

    @Test func everyRateIsCheckedByName() {
        var configuration = Self.awd()
        configuration.hiddenDropout = 1
        #expect(throws: ConfigurationError.outOfRange("hidden dropout", "1.0", "in [0, 1)")) { try configuration.validate() }
        configuration = Self.awd()
        configuration.weightDrop = -0.1
        #expect(throws: ConfigurationError.outOfRange("weight drop", "-0.1", "in [0, 1)")) { try configuration.validate() }
        configuration = Self.awd()
        configuration.temporalActivationPenalty = .infinity
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }
}
