import Foundation
import LMNetwork
import LMStore
import LMTensor
import Testing

/// The whole model against PyTorch: fixtures written by
/// `scripts/pytorch/make_parity_fixtures.py` (the PyTorch word-language-model example's
/// RNNModel, 2 layers, float64 rounded to float32) hold weights, a non-zero initial
/// state, inputs, targets, and PyTorch's logits, mean loss, final state and every
/// parameter gradient. Tolerance: per element `|lmtool − torch| ≤ 1e-4 · ‖torch‖∞`, the
/// largest magnitude of that tensor (relative error 1e-4 at the tensor's scale).
@Suite struct PyTorchParityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let (steps, batch) = (5, 3)

    static func check(_ name: String, _ actual: [Float], _ expected: [Float], tolerance: Float = 1e-4) -> String? {
        guard actual.count == expected.count else { return "\(name): \(actual.count) values, \(expected.count) expected" }
        let scale = expected.map(abs).max() ?? 0
        var worst = 0 as Float
        for (a, b) in zip(actual, expected) { worst = max(worst, abs(a - b)) }
        return worst <= tolerance * max(scale, 1e-12) ? nil : "\(name): max error \(worst) at scale \(scale)"
    }

    /// The fixture's initial state, `input.h0` (and `input.c0`) `[L, B, H]`, by layer.
    static func initialState(
        _ file: SafeTensors, configuration: ModelConfiguration, batchSize: Int = batch
    ) throws -> RecurrentState {
        let state = RecurrentState(zerosFor: configuration, batchSize: batchSize)
        var named: [String: [Float]] = [:]
        for name in configuration.cell == .lstm ? ["h", "c"] : ["h"] {
            let values = try #require(file.tensors["input.\(name)0"], "fixture lacks input.\(name)0").values
            let layerSize = values.count / configuration.layers
            for layer in 0..<configuration.layers {
                named["\(name)_l\(layer)"] = Array(values[(layer * layerSize)..<((layer + 1) * layerSize)])
            }
        }
        try state.load(named)
        return state
    }

    @Test(arguments: [CellKind.lstm, .gru, .rnnTanh, .rnnReLU])
    func logitsLossStatesAndGradientsMatchPyTorch(cell: CellKind) throws {
        let file = try SafeTensors(contentsOf: Self.fixtures.appendingPathComponent("\(cell.rawValue).safetensors").path)
        func tensor(_ name: String) throws -> [Float] {
            try #require(file.tensors[name], "fixture lacks \(name)").values
        }
        let configuration = ModelConfiguration(
            vocabularySize: 11, embeddingSize: 6, hiddenSize: 7, layers: 2, cell: cell, dropout: 0)
        var generator = RandomGenerator(seed: 1)
        let model = try LanguageModel(configuration: configuration, generator: &generator)
        try model.load(Dictionary(uniqueKeysWithValues: try model.parameters.map { ($0.name, try tensor($0.name)) }))
        let inputs = try tensor("input.ids").map { Int32($0) }
        let targets = try tensor("input.targets").map { Int32($0) }
        let stateNames = cell == .lstm ? ["h", "c"] : ["h"]

        func initialState() throws -> RecurrentState { try Self.initialState(file, configuration: configuration) }

        var problems: [String] = []
        var state = try initialState()
        let logits = model.logits(inputs: inputs, windowLength: Self.steps, batchSize: Self.batch, state: &state)
        problems.append(contentsOf: [Self.check("logits", logits.values, try tensor("output.logits"))].compactMap { $0 })
        for name in stateNames {
            let final = (0..<configuration.layers).flatMap { state.namedValues["\(name)_l\($0)"] ?? [] }
            if let problem = Self.check("final \(name)", final, try tensor("output.\(name)N")) { problems.append(problem) }
        }

        state = try initialState()
        model.zeroGradients()
        let loss = model.trainWindow(
            inputs: inputs, targets: targets, windowLength: Self.steps, batchSize: Self.batch, state: &state,
            generator: &generator)
        if let problem = Self.check("loss", [Float(loss)], try tensor("output.loss")) { problems.append(problem) }
        for parameter in model.parameters {
            if let problem = Self.check("grad \(parameter.name)", parameter.gradientValues, try tensor("grad.\(parameter.name)")) {
                problems.append(problem)
            }
        }
        #expect(problems.isEmpty, "\(cell.rawValue): \(problems)")
    }
}
