import LMTensor
import Testing
import TestSupport

@testable import LMNetwork

/// Each recurrent layer alone: the loss is `Σ w ⊙ outputs` for fixed random `w`, so its
/// gradient with respect to the outputs is `w`; backward must then give the parameter
/// and input gradients that central differences measure. The initial state is random and
/// non-zero, as a carried-in state is. Tolerance: |analytic − numeric| ≤ 1e-2·|numeric| + 1e-2
/// with h = 1e-2 (ReLU: h = 1e-3, so that few differences straddle its kink); the loss is
/// O(1) and Float32 rounding contributes about 1e-5 (1e-4) to the quotient, while gradients
/// are O(1). Two window shapes: 4 steps of batch 3 take the packed recurrent product
/// (``PackedMatrix``), 3 steps of batch 1 OpenBLAS's.
@Suite struct RecurrentLayerGradientTests {
    static let (inputSize, hiddenSize) = (5, 6)
    static let cells = [
        "rnn-tanh", "rnn-relu", "lstm", "lstm-peephole", "gru", "bidirectional-rnn-tanh", "bidirectional-lstm",
        "bidirectional-gru",
    ]
    static let windows = [(4, 3), (3, 1)]

    static func makeLayer(_ name: String) -> RecurrentLayer {
        switch name {
        case "rnn-tanh": SimpleRecurrentLayer(layer: 0, inputSize: inputSize, hiddenSize: hiddenSize, nonlinearity: .tanh)
        case "rnn-relu": SimpleRecurrentLayer(layer: 0, inputSize: inputSize, hiddenSize: hiddenSize, nonlinearity: .relu)
        case "lstm": LSTMLayer(layer: 0, inputSize: inputSize, hiddenSize: hiddenSize, peephole: false)
        case "lstm-peephole": LSTMLayer(layer: 0, inputSize: inputSize, hiddenSize: hiddenSize, peephole: true)
        case "gru": GRULayer(layer: 0, inputSize: inputSize, hiddenSize: hiddenSize)
        default:
            // "bidirectional-<cell>": both directions of that cell, half the width each.
            BidirectionalLayer { suffix in
                switch name.dropFirst("bidirectional-".count) {
                case "rnn-tanh":
                    SimpleRecurrentLayer(
                        layer: 0, inputSize: inputSize, hiddenSize: hiddenSize / 2, nonlinearity: .tanh, suffix: suffix)
                case "lstm": LSTMLayer(layer: 0, inputSize: inputSize, hiddenSize: hiddenSize / 2, peephole: false, suffix: suffix)
                default: GRULayer(layer: 0, inputSize: inputSize, hiddenSize: hiddenSize / 2, suffix: suffix)
                }
            }
        }
    }

    @Test(arguments: cells, windows)
    func backwardMatchesFiniteDifferences(name: String, window: (Int, Int)) {
        let layer = Self.makeLayer(name)
        var generator = RandomGenerator(seed: 7)
        for parameter in layer.parameters { parameter.initializeUniform(-0.6, 0.6, generator: &generator) }
        let ((T, B), In, H) = (window, Self.inputSize, Self.hiddenSize)
        let input = Tensor(shape: [T, B, In], values: (0..<(T * B * In)).map { _ in generator.nextUniform(in: -1, 1) })
        #expect(layer.hiddenSize == H)
        let width = layer.stateWidth
        let initial = (0..<layer.stateCount).map { _ in (0..<(B * width)).map { _ in generator.nextUniform(in: -0.8, 0.8) } }
        let weights = (0..<(T * B * H)).map { _ in generator.nextUniform(in: -1, 1) }

        func loss() -> Double {
            let state = initial.map { Tensor(shape: [B, width], values: $0) }
            let output = layer.forward(input: input.pointer, windowLength: T, batchSize: B, state: state)
            return (0..<(T * B * H)).reduce(0.0) { $0 + Double(weights[$1]) * Double(output[$1]) }
        }

        for parameter in layer.parameters { parameter.gradient.zero() }
        _ = loss()
        let inputGradient = Tensor(shape: [T, B, In])
        layer.backward(input: input.pointer, outputGradient: weights, inputGradient: inputGradient.pointer)

        let step: Float = name == "rnn-relu" ? 1e-3 : 1e-2
        var mismatches: [GradientCheck.Mismatch] = []
        for parameter in layer.parameters {
            mismatches += GradientCheck.compare(
                name: parameter.name, value: parameter.value, gradient: parameter.gradientValues, step: step,
                loss: loss)
        }
        mismatches += GradientCheck.compare(
            name: "input", value: input, gradient: inputGradient.values, step: step, loss: loss)
        #expect(mismatches.isEmpty, "\(name): \(mismatches.prefix(5))")
    }

    /// A window run whole (packed recurrent product) gives the outputs and final state of
    /// the same steps run one at a time, the state carried (OpenBLAS's product). Not for the
    /// bidirectional wrapper, whose backward direction sees the whole window.
    @Test(arguments: cells.filter { !$0.hasPrefix("bidirectional") })
    func oneWindowEqualsSingleSteps(name: String) {
        let layer = Self.makeLayer(name)
        var generator = RandomGenerator(seed: 11)
        for parameter in layer.parameters { parameter.initializeUniform(-0.6, 0.6, generator: &generator) }
        let (T, B, In, H, width) = (6, 3, Self.inputSize, Self.hiddenSize, layer.stateWidth)
        let input = Tensor(shape: [T, B, In], values: (0..<(T * B * In)).map { _ in generator.nextUniform(in: -1, 1) })
        let initial = (0..<layer.stateCount).map { _ in (0..<(B * width)).map { _ in generator.nextUniform(in: -0.8, 0.8) } }

        let wholeState = initial.map { Tensor(shape: [B, width], values: $0) }
        let whole = Array(
            UnsafeBufferPointer(
                start: layer.forward(input: input.pointer, windowLength: T, batchSize: B, state: wholeState),
                count: T * B * H))
        let stepState = initial.map { Tensor(shape: [B, width], values: $0) }
        var stepped: [Float] = []
        for t in 0..<T {
            let output = layer.forward(input: input.pointer + t * B * In, windowLength: 1, batchSize: B, state: stepState)
            stepped += UnsafeBufferPointer(start: output, count: B * H)
        }
        let worstOutput = zip(whole, stepped).map { abs($0 - $1) }.max() ?? 0
        let worstState = zip(wholeState, stepState).map { zip($0.values, $1.values).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
        #expect(worstOutput <= 1e-5 && worstState <= 1e-5, "\(name): outputs differ by \(worstOutput), state by \(worstState)")
    }

    /// Input vectors given with the table they are rows of: the layer projects the
    /// table's rows and copies each input's projection by id, and gives the outputs and
    /// final state of projecting the vectors themselves.
    @Test(arguments: cells)
    func aTableLookupGivesTheOutputsOfItsVectors(name: String) {
        let layer = Self.makeLayer(name)
        var generator = RandomGenerator(seed: 13)
        for parameter in layer.parameters { parameter.initializeUniform(-0.6, 0.6, generator: &generator) }
        let (T, B, V, In, H, width) = (6, 4, 5, Self.inputSize, Self.hiddenSize, layer.stateWidth)
        #expect(GateWeights.foldingPays(tableRows: V, rows: T * B))
        let table = Tensor(shape: [V, In], values: (0..<(V * In)).map { _ in generator.nextUniform(in: -1, 1) })
        let ids = (0..<(T * B)).map { _ in Int32(generator.next() % UInt64(V)) }
        let input = Tensor(shape: [T, B, In], values: ids.flatMap { Array(table.values[(Int($0) * In)..<((Int($0) + 1) * In)]) })
        let initial = (0..<layer.stateCount).map { _ in (0..<(B * width)).map { _ in generator.nextUniform(in: -0.8, 0.8) } }

        func run(_ lookup: TableLookup?) -> (outputs: [Float], state: [Float]) {
            let state = initial.map { Tensor(shape: [B, width], values: $0) }
            let outputs = layer.forward(
                LayerInput(vectors: input.pointer, lookup: lookup), windowLength: T, batchSize: B, state: state)
            return (Array(UnsafeBufferPointer(start: outputs, count: T * B * H)), state.flatMap(\.values))
        }
        let folded = run(TableLookup(table: table.pointer, rows: V, ids: ids))
        let projected = run(nil)
        let worstOutput = zip(folded.outputs, projected.outputs).map { abs($0 - $1) }.max() ?? 0
        let worstState = zip(folded.state, projected.state).map { abs($0 - $1) }.max() ?? 0
        #expect(worstOutput <= 1e-5 && worstState <= 1e-5, "\(name): outputs differ by \(worstOutput), state by \(worstState)")
    }
}
