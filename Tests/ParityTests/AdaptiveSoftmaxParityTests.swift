import Foundation
import LMStore
import LMTensor
import Testing

@testable import LMNetwork

/// The adaptive softmax against `torch.nn.AdaptiveLogSoftmaxWithLoss`: the fixture, from
/// `scripts/pytorch/make_adaptive_softmax_fixture.py`, holds a 2-layer LSTM model (V = 23,
/// E = 6, H = 16, cutoffs 5 and 12, div_value 4) run in float64: its weights, inputs,
/// initial state, the log-probabilities of every token, the mean loss, every parameter's
/// gradient, and the decoder's input and its gradient. Tolerance: per element
/// `|lmtool − torch| ≤ 2e-6 · ‖torch‖∞` of that tensor; the worst seen is 2.3e-7 (the
/// LSTM's bias gradients; the log-probabilities 1.0e-7, the decoder's gradients ≤ 1e-7).
@Suite struct AdaptiveSoftmaxParityTests {
    static let (steps, batch) = (5, 3)

    static func check(_ name: String, _ actual: [Float], _ expected: [Float]) -> String? {
        PyTorchParityTests.check(name, actual, expected, tolerance: 2e-6)
    }

    let file: SafeTensors
    let configuration: ModelConfiguration

    init() throws {
        file = try SafeTensors(
            contentsOf: PyTorchParityTests.fixtures.appendingPathComponent("adaptive-softmax.safetensors").path)
        var configuration = ModelConfiguration(vocabularySize: 23, embeddingSize: 6, hiddenSize: 16, layers: 2, dropout: 0)
        (configuration.softmax, configuration.cutoffs) = (.adaptive, [5, 12])
        self.configuration = configuration
    }

    func tensor(_ name: String) throws -> [Float] { try #require(file.tensors[name], "fixture lacks \(name)").values }

    @Test func logProbabilitiesLossAndGradientsMatchPyTorch() throws {
        var generator = RandomGenerator(seed: 1)
        let model = try LanguageModel(configuration: configuration, generator: &generator)
        try model.load(Dictionary(uniqueKeysWithValues: try model.parameters.map { ($0.name, try tensor($0.name)) }))
        let inputs = try tensor("input.ids").map { Int32($0) }
        let targets = try tensor("input.targets").map { Int32($0) }
        func initialState() throws -> RecurrentState {
            try PyTorchParityTests.initialState(file, configuration: configuration, batchSize: Self.batch)
        }

        var problems: [String] = []
        var state = try initialState()
        let logProbabilities = model.logits(inputs: inputs, windowLength: Self.steps, batchSize: Self.batch, state: &state)
        problems += [Self.check("log-probabilities", logProbabilities.values, try tensor("output.log_probs"))].compactMap { $0 }
        state = try initialState()
        model.zeroGradients()
        let loss = model.trainWindow(
            inputs: inputs, targets: targets, windowLength: Self.steps, batchSize: Self.batch, state: &state,
            generator: &generator)
        problems += [Self.check("loss", [Float(loss)], try tensor("output.loss"))].compactMap { $0 }
        for parameter in model.parameters {
            problems += [Self.check("grad \(parameter.name)", parameter.gradientValues, try tensor("grad.\(parameter.name)"))]
                .compactMap { $0 }
        }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// The decoder alone on PyTorch's hidden states: its loss and `dH`.
    @Test func hiddenStateGradientMatchesPyTorch() throws {
        let layer = AdaptiveSoftmax(
            inputSize: 16, vocabularySize: 23, cutoffs: configuration.cutoffs, tailWidths: configuration.tailWidths)
        for parameter in layer.parameters { parameter.value.assign(try tensor(parameter.name)) }
        let hidden = try tensor("output.hidden")
        let targets = try tensor("input.targets").map { Int32($0) }
        let hiddenGradient = Tensor(shape: [targets.count, 16])
        let loss = hidden.withUnsafeBufferPointer {
            layer.loss(
                hidden: $0.baseAddress!, targets: targets, hiddenGradient: hiddenGradient.pointer,
                gradientScale: 1 / Float(targets.count))
        }
        let problems = [
            Self.check("loss", [Float(loss / Double(targets.count))], try tensor("output.loss")),
            Self.check("grad hidden", hiddenGradient.values, try tensor("grad.hidden")),
        ]
        #expect(problems.compactMap { $0 }.isEmpty, "\(problems.compactMap { $0 })")
    }
}
