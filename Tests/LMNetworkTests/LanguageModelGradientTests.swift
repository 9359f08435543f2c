import LMTensor
import Testing
import TestSupport

@testable import LMNetwork

/// The whole model — embedding, two recurrent layers, decoder, softmax cross-entropy —
/// against central differences of its mean loss, for every parameter, with a carried-in
/// random state. Tolerance: |analytic − numeric| ≤ 1e-2·|numeric| + 2e-5 per entry with
/// h = 1e-2 (ReLU: 1e-3 and 2e-4, nearer its kink): the mean loss (≈ 2.2) is rounded to
/// about 3e-7, which the difference quotient turns into about 1.5e-5 (1.5e-4), while the
/// largest gradients of each tensor are 1e-3 to 1e-1.
@Suite struct LanguageModelGradientTests {
    static let (windowLength, batchSize) = (4, 3)

    static let configurations: [(String, ModelConfiguration)] = [
        ("lstm", ModelConfiguration(vocabularySize: 9, embeddingSize: 5, hiddenSize: 6, cell: .lstm, dropout: 0)),
        ("lstm-peephole", ModelConfiguration(vocabularySize: 9, embeddingSize: 5, hiddenSize: 6, cell: .lstm, peephole: true, dropout: 0)),
        ("gru", ModelConfiguration(vocabularySize: 9, embeddingSize: 5, hiddenSize: 6, cell: .gru, dropout: 0)),
        ("rnn-tanh", ModelConfiguration(vocabularySize: 9, embeddingSize: 5, hiddenSize: 6, cell: .rnnTanh, dropout: 0)),
        ("rnn-relu", ModelConfiguration(vocabularySize: 9, embeddingSize: 5, hiddenSize: 6, cell: .rnnReLU, dropout: 0)),
        ("lstm-tied", ModelConfiguration(vocabularySize: 9, embeddingSize: 6, hiddenSize: 6, cell: .lstm, dropout: 0, tieWeights: true)),
        ("gru-dropout", ModelConfiguration(vocabularySize: 9, embeddingSize: 5, hiddenSize: 6, cell: .gru, dropout: 0.3)),
        ("lstm-variational", ModelConfiguration(vocabularySize: 9, embeddingSize: 5, hiddenSize: 6, cell: .lstm, dropout: 0.3, variationalDropout: true)),
        ("rnn-tanh-3-layers", ModelConfiguration(vocabularySize: 9, embeddingSize: 5, hiddenSize: 4, layers: 3, cell: .rnnTanh, dropout: 0)),
        // Three tokens, twelve inputs: the first layer projects the embedding table (``TableLookup``).
        ("lstm-folded-embedding", ModelConfiguration(vocabularySize: 3, embeddingSize: 5, hiddenSize: 6, cell: .lstm, dropout: 0)),
        // AWD-LSTM's regularisers, alone and together.
        ("lstm-weight-drop", regularised(.lstm) { $0.weightDrop = 0.4 }),
        ("gru-weight-drop", regularised(.gru) { $0.weightDrop = 0.4 }),
        ("rnn-tanh-weight-drop-3-layers", regularised(.rnnTanh, layers: 3) { $0.weightDrop = 0.4 }),
        ("lstm-embedding-dropout", regularised(.lstm) { $0.embeddingDropout = 0.4 }),
        ("gru-dropout-rates", regularised(.gru, layers: 3) { ($0.inputDropout, $0.hiddenDropout, $0.outputDropout) = (0.1, 0.4, 0.2) }),
        ("lstm-activation-penalties", regularised(.lstm) { ($0.activationPenalty, $0.temporalActivationPenalty) = (2, 1) }),
        ("lstm-awd-tied", regularised(.lstm, embeddingSize: 6) {
            ($0.inputDropout, $0.hiddenDropout, $0.outputDropout) = (0.3, 0.25, 0.4)
            ($0.weightDrop, $0.embeddingDropout, $0.activationPenalty, $0.temporalActivationPenalty) = (0.5, 0.1, 2, 1)
            $0.variationalDropout = true
            $0.tieWeights = true
        }),
        // A wide stack narrowing to the tied embedding, as AWD-LSTM's 400 / 1150 / 400.
        ("lstm-last-hidden-tied", regularised(.lstm, layers: 3, embeddingSize: 4) {
            ($0.lastHiddenSize, $0.tieWeights, $0.weightDrop, $0.dropout) = (4, true, 0.3, 0.2)
        }),
        ("gru-last-hidden-wider", regularised(.gru, layers: 2) { $0.lastHiddenSize = 8 }),
        // The adaptive softmax in place of the decoder: a head of 3 tokens and 2 clusters
        // (ids 3-5 projected to 4 units, 6-8 to 1), behind a stack and behind a wider last layer.
        ("lstm-adaptive-softmax", regularised(.lstm) { ($0.hiddenSize, $0.softmax, $0.cutoffs) = (16, .adaptive, [3, 6]) }),
        ("gru-adaptive-softmax-last-hidden", regularised(.gru) {
            ($0.lastHiddenSize, $0.softmax, $0.cutoffs, $0.dropout) = (16, .adaptive, [3, 6], 0.3)
        }),
    ]

    /// A small model with no dropout, changed by `change`.
    static func regularised(
        _ cell: CellKind, layers: Int = 2, embeddingSize: Int = 5, _ change: (inout ModelConfiguration) -> Void
    ) -> ModelConfiguration {
        var configuration = ModelConfiguration(
            vocabularySize: 9, embeddingSize: embeddingSize, hiddenSize: 6, layers: layers, cell: cell, dropout: 0)
        change(&configuration)
        return configuration
    }

    @Test(arguments: configurations)
    func everyParameterGradientMatchesFiniteDifferences(name: String, configuration: ModelConfiguration) throws {
        var generator = RandomGenerator(seed: 42)
        let model = try LanguageModel(configuration: configuration, generator: &generator)
        // Larger weights than the default initialisation so every path carries gradient.
        for parameter in model.parameters { parameter.initializeUniform(-0.5, 0.5, generator: &generator) }
        let (T, B) = (Self.windowLength, Self.batchSize)
        let inputs = GradientCheck.randomIds(count: T * B, vocabularySize: configuration.vocabularySize, generator: &generator)
        let targets = GradientCheck.randomIds(count: T * B, vocabularySize: configuration.vocabularySize, generator: &generator)
        let initial = RecurrentState(zerosFor: configuration, batchSize: B)
        for tensor in initial.layers.joined() {
            for index in 0..<tensor.count { tensor[index] = generator.nextUniform(in: -0.5, 0.5) }
        }
        let initialValues = initial.namedValues
        let dropoutSeed = generator.next()

        // The same dropout masks on every evaluation: the generator restarts from one seed.
        func loss() -> Double {
            var state = RecurrentState(zerosFor: configuration, batchSize: B)
            try? state.load(initialValues)
            var masks = RandomGenerator(seed: dropoutSeed)
            let crossEntropy = model.trainWindow(
                inputs: inputs, targets: targets, windowLength: T, batchSize: B, state: &state, generator: &masks)
            return crossEntropy + model.lastActivationPenalty
        }

        model.zeroGradients()
        _ = loss()
        let gradients = model.parameters.map(\.gradientValues)
        var mismatches: [GradientCheck.Mismatch] = []
        for (parameter, gradient) in zip(model.parameters, gradients) {
            let relu = configuration.cell == .rnnReLU
            mismatches += GradientCheck.compare(
                name: parameter.name, value: parameter.value, gradient: gradient, step: relu ? 1e-3 : 1e-2,
                absolute: relu ? 2e-4 : 2e-5, loss: loss)
        }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.prefix(6))")
    }

    /// What `trainWindow` hands over while the backward pass goes on (data-parallel
    /// training averages it meanwhile) is every parameter once, and its gradient is final
    /// then: what the window ends with, weight drop's masking and a tied decoder's share
    /// included.
    @Test(arguments: configurations)
    func everyParameterIsHandedOverOnceWithItsFinalGradient(name: String, configuration: ModelConfiguration) throws {
        var generator = RandomGenerator(seed: 7)
        let model = try LanguageModel(configuration: configuration, generator: &generator)
        let (T, B) = (Self.windowLength, Self.batchSize)
        let inputs = GradientCheck.randomIds(count: T * B, vocabularySize: configuration.vocabularySize, generator: &generator)
        let targets = GradientCheck.randomIds(count: T * B, vocabularySize: configuration.vocabularySize, generator: &generator)
        var state = RecurrentState(zerosFor: configuration, batchSize: B)
        var handedOver: [(name: String, gradient: [Float])] = []
        model.zeroGradients()
        _ = model.trainWindow(
            inputs: inputs, targets: targets, windowLength: T, batchSize: B, state: &state, generator: &generator
        ) { parameters in
            handedOver += parameters.map { ($0.name, $0.gradientValues) }
        }
        #expect(handedOver.map(\.name).sorted() == model.parameters.map(\.name).sorted(), "\(name)")
        for (parameterName, gradient) in handedOver {
            let parameter = try #require(model.parameters.first { $0.name == parameterName })
            let unchanged = gradient == parameter.gradientValues
            #expect(unchanged, "\(name): \(parameterName)'s gradient changed after it was handed over")
        }
    }
}
