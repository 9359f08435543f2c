import LMTensor
import Testing
import TestSupport

@testable import LMNetwork

/// Each recurrent layer alone: the loss is `Σ w ⊙ outputs` for fixed random `w`, so its
/// gradient with respect to the outputs is `w`; backward must then give the parameter
/// and input gradients that central differences measure. The initial state is random and
/// non-zero, as a carried-in state is. Tolerance: |analytic − numeric| ≤ 1e-2·|numeric| + 1e-2
/// with h = 1e-2 (ReLU: h = 3e-4, so that no difference straddles its kink, even among
/// the 384 pre-activations of the largest window); the loss is O(1) to O(10) and Float32
/// rounding contributes about 1e-5 (ReLU: 1e-3) to the quotient, while gradients are O(1).
/// Three window shapes: 4 steps of batch 3 take the packed recurrent product
/// (``PackedMatrix``), 3 steps of batch 1 OpenBLAS's, and 4 steps of batch 16 (64 rows)
/// the window's products with `W_ih` on the packed weight as well, on AVX-512
/// (``PackedMatrix/multiplyTall(_:rows:lda:beta:into:ldc:)``).
@Suite struct RecurrentLayerGradientTests {
    static let (inputSize, hiddenSize) = (5, 6)
    static let cells = [
        "rnn-tanh", "rnn-relu", "lstm", "lstm-peephole", "gru", "bidirectional-rnn-tanh", "bidirectional-lstm",
        "bidirectional-gru",
    ]
    static let windows = [(4, 3), (3, 1), (4, 16)]

    static func makeLayer(_ name: String, inputSize: Int = inputSize, hiddenSize: Int = hiddenSize) -> RecurrentLayer {
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

        let step: Float = name == "rnn-relu" ? 3e-4 : 1e-2
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

    /// A window whose `T·B` input vectors are rows of a `[V, In]` table picked by random
    /// ids, for `layer` with random weights and initial state: 6 steps of batch 4 over 5
    /// table rows, so the layer projects the table (``GateWeights/foldingPays(tableRows:rows:)``).
    struct LookupWindow {
        static let (T, B, V) = (6, 4, 5)
        let table: Tensor
        let ids: [Int32]
        let vectors: Tensor
        let initial: [[Float]]
        var generator: RandomGenerator

        init(for layer: RecurrentLayer, seed: UInt64) {
            var generator = RandomGenerator(seed: seed)
            for parameter in layer.parameters { parameter.initializeUniform(-0.6, 0.6, generator: &generator) }
            let (rows, V, In, width) = (Self.T * Self.B, Self.V, layer.inputSize, layer.stateWidth)
            let table = Tensor(shape: [V, In], values: (0..<(V * In)).map { _ in generator.nextUniform(in: -1, 1) })
            let ids = (0..<rows).map { _ in Int32(generator.next() % UInt64(V)) }
            vectors = Tensor(
                shape: [Self.T, Self.B, In], values: ids.flatMap { Array(table.values[(Int($0) * In)..<((Int($0) + 1) * In)]) })
            initial = (0..<layer.stateCount).map { _ in (0..<(Self.B * width)).map { _ in generator.nextUniform(in: -0.8, 0.8) } }
            (self.table, self.ids, self.generator) = (table, ids, generator)
        }

        func input(lookup: Bool) -> LayerInput {
            LayerInput(vectors: vectors.pointer, lookup: lookup ? TableLookup(table: table.pointer, rows: Self.V, ids: ids) : nil)
        }

        /// Runs the window forward from the initial state.
        /// - Returns: the outputs `[T, B, H]` and the final state.
        func forward(_ layer: RecurrentLayer, lookup: Bool) -> (outputs: [Float], state: [Float]) {
            let state = initial.map { Tensor(shape: [Self.B, layer.stateWidth], values: $0) }
            let outputs = layer.forward(input(lookup: lookup), windowLength: Self.T, batchSize: Self.B, state: state)
            return (Array(UnsafeBufferPointer(start: outputs, count: Self.T * Self.B * layer.hiddenSize)), state.flatMap(\.values))
        }
    }

    /// Input vectors given with the table they are rows of: the layer projects the
    /// table's rows and copies each input's projection by id, and gives the outputs and
    /// final state of projecting the vectors themselves.
    @Test(arguments: cells)
    func aTableLookupGivesTheOutputsOfItsVectors(name: String) {
        let layer = Self.makeLayer(name)
        let window = LookupWindow(for: layer, seed: 13)
        #expect(GateWeights.foldingPays(tableRows: LookupWindow.V, rows: LookupWindow.T * LookupWindow.B))
        let folded = window.forward(layer, lookup: true)
        let projected = window.forward(layer, lookup: false)
        let worstOutput = zip(folded.outputs, projected.outputs).map { abs($0 - $1) }.max() ?? 0
        let worstState = zip(folded.state, projected.state).map { abs($0 - $1) }.max() ?? 0
        #expect(worstOutput <= 1e-5 && worstState <= 1e-5, "\(name): outputs differ by \(worstOutput), state by \(worstState)")
    }

    /// The table's gradient computed by token (``InputGradient/table(_:)``: gate gradients
    /// summed by id, then `S · W_ih`) is the input gradient `dX` summed by id, and the
    /// parameter gradients are those of the vector path.
    @Test(arguments: cells)
    func aTableGradientIsTheInputGradientSummedByID(name: String) {
        let layer = Self.makeLayer(name)
        var window = LookupWindow(for: layer, seed: 17)
        let (V, In) = (LookupWindow.V, Self.inputSize)
        let outputGradient = (0..<(LookupWindow.T * LookupWindow.B * Self.hiddenSize)).map { _ in
            window.generator.nextUniform(in: -1, 1)
        }

        func parameterGradients(_ inputGradient: InputGradient) -> [Float] {
            for parameter in layer.parameters { parameter.gradient.zero() }
            _ = window.forward(layer, lookup: true)
            layer.backward(input: window.input(lookup: true), outputGradient: outputGradient, inputGradient: inputGradient)
            return layer.parameters.flatMap(\.gradientValues)
        }
        let inputGradient = Tensor(shape: [LookupWindow.T, LookupWindow.B, In])
        let byVector = parameterGradients(.vectors(inputGradient.pointer))
        var summed = [Float](repeating: 0, count: V * In)
        for (row, id) in window.ids.enumerated() {
            for column in 0..<In { summed[Int(id) * In + column] += inputGradient.values[row * In + column] }
        }
        let tableGradient = Tensor(shape: [V, In], values: [Float](repeating: 0.5, count: V * In))
        let byToken = parameterGradients(.table(tableGradient.pointer))
        let worstParameter = zip(byVector, byToken).map { abs($0 - $1) }.max() ?? 0
        let worstTable = zip(summed, tableGradient.values).map { abs($0 + 0.5 - $1) }.max() ?? 0
        #expect(
            worstParameter <= 1e-5 && worstTable <= 1e-5,
            "\(name): parameter gradients differ by \(worstParameter), table gradient by \(worstTable)")
    }

    /// `db = Σ dG` is the gradient of the input weight's column that meets an input
    /// component fixed at 1: `dW_ih[:, 0] = Σ_r dG[r] · x_r[0]`. With `x[·, ·, 0] = 1` the
    /// two must agree, whatever sums them. The layer is wide enough (batch 16, 64 units)
    /// for its steps to sum the bias gradient beside their recurrent products, split
    /// between threads (``GateWeights/stepBiasSums()``), where OpenBLAS sums `dW_ih`.
    @Test(arguments: ["rnn-tanh", "lstm", "gru"])
    func biasGradientIsTheWeightGradientOfAConstantInput(name: String) {
        let (T, B, In, H) = (5, 16, 3, 64)
        let layer = Self.makeLayer(name, inputSize: In, hiddenSize: H)
        var generator = RandomGenerator(seed: 19)
        for parameter in layer.parameters { parameter.initializeUniform(-0.3, 0.3, generator: &generator) }
        let input = Tensor(
            shape: [T, B, In],
            values: (0..<(T * B * In)).map { $0 % In == 0 ? 1 : generator.nextUniform(in: -1, 1) })
        let state = (0..<layer.stateCount).map { _ in
            Tensor(shape: [B, layer.stateWidth], values: (0..<(B * layer.stateWidth)).map { _ in generator.nextUniform(in: -0.8, 0.8) })
        }
        let outputGradient = (0..<(T * B * H)).map { _ in generator.nextUniform(in: -1, 1) }
        for parameter in layer.parameters { parameter.gradient.zero() }
        _ = layer.forward(input: input.pointer, windowLength: T, batchSize: B, state: state)
        layer.backward(input: input.pointer, outputGradient: outputGradient, inputGradient: nil)

        let byName = Dictionary(uniqueKeysWithValues: layer.parameters.map { ($0.name, $0.gradientValues) })
        let (weight, bias) = (byName["rnn.weight_ih_l0"]!, byName["rnn.bias_ih_l0"]!)
        #expect(bias.contains { $0 != 0 })
        let worst = bias.indices.map { abs(weight[$0 * In] - bias[$0]) / (abs(bias[$0]) + 1e-3) }.max() ?? 0
        #expect(worst <= 1e-4, "\(name): bias gradient and constant input's weight gradient differ by \(worst) relative")
    }
}
