import LMTensor

/// Two recurrent layers reading the same window in opposite directions, for library users
/// who tag or encode whole sequences (next-token training cannot use it: the backward
/// direction sees the future).
///
/// As in PyTorch's `bidirectional=True`: the output at step t is
/// `[h→_t, h←_t]`, `[T, B, 2H]`, where `h←` runs from step T down to 1; the reverse
/// direction's parameters carry the suffix `_reverse` (`rnn.weight_ih_l0_reverse`, …).
/// The state is the forward direction's tensors followed by the reverse direction's, each
/// `[B, H]`; the reverse direction's initial state is the one "after" the window's end.
package final class BidirectionalLayer: RecurrentLayer {
    package let forwardDirection: RecurrentLayer
    package let reverseDirection: RecurrentLayer

    package var inputSize: Int { forwardDirection.inputSize }
    /// `2H`: both directions' outputs side by side.
    package var hiddenSize: Int { 2 * forwardDirection.hiddenSize }
    package var stateCount: Int { 2 * forwardDirection.stateCount }
    package var stateWidth: Int { forwardDirection.hiddenSize }
    package var parameters: [Parameter] { forwardDirection.parameters + reverseDirection.parameters }
    package var recurrentWeights: [Parameter] { forwardDirection.recurrentWeights + reverseDirection.recurrentWeights }

    /// `[T, B, In]`: the input with its steps in reverse order.
    private var reversedInput = Workspace()
    /// `[T, B, 2H]`
    private var outputs = Workspace()
    /// `[T, B, H]` each: the output gradient split by direction (the reverse one in
    /// reversed step order), and the reverse direction's input gradient.
    private var forwardGradient = Workspace()
    private var reverseGradient = Workspace()
    private var reverseInputGradient = Workspace()
    private var windowLength = 0
    private var batchSize = 0

    /// - Parameter makeDirection: builds one direction's layer given the parameter-name
    ///   suffix (`""` forward, `"_reverse"` reverse).
    package init(makeDirection: (_ suffix: String) -> RecurrentLayer) {
        forwardDirection = makeDirection("")
        reverseDirection = makeDirection("_reverse")
        precondition(
            forwardDirection.inputSize == reverseDirection.inputSize
                && forwardDirection.hiddenSize == reverseDirection.hiddenSize,
            "both directions must have the same shape")
    }

    package func forward(_ input: LayerInput, windowLength: Int, batchSize: Int, state: [Tensor])
        -> UnsafeMutablePointer<Float>
    {
        self.windowLength = windowLength
        self.batchSize = batchSize
        let half = forwardDirection.stateCount
        let reversed = reversedInput.reserve(windowLength * batchSize * inputSize)
        Self.reverseSteps(of: input.vectors, into: reversed, windowLength: windowLength, stepSize: batchSize * inputSize)
        let forwardOutputs = forwardDirection.forward(
            input, windowLength: windowLength, batchSize: batchSize, state: Array(state[..<half]))
        let reverseOutputs = reverseDirection.forward(
            LayerInput(vectors: reversed, lookup: reversedLookup(input.lookup)), windowLength: windowLength,
            batchSize: batchSize, state: Array(state[half...]))
        let width = stateWidth
        let outputs = outputs.reserve(windowLength * batchSize * 2 * width)
        for t in 0..<windowLength {
            for row in 0..<batchSize {
                let target = outputs + (t * batchSize + row) * 2 * width
                target.update(from: forwardOutputs + (t * batchSize + row) * width, count: width)
                (target + width).update(
                    from: reverseOutputs + ((windowLength - 1 - t) * batchSize + row) * width, count: width)
            }
        }
        return outputs
    }

    package func backward(input: LayerInput, outputGradient: UnsafePointer<Float>, inputGradient: InputGradient?) {
        let width = stateWidth
        let count = windowLength * batchSize * width
        let forwardGradient = forwardGradient.reserve(count)
        let reverseGradient = reverseGradient.reserve(count)
        for t in 0..<windowLength {
            for row in 0..<batchSize {
                let source = outputGradient + (t * batchSize + row) * 2 * width
                (forwardGradient + (t * batchSize + row) * width).update(from: source, count: width)
                (reverseGradient + ((windowLength - 1 - t) * batchSize + row) * width).update(
                    from: source + width, count: width)
            }
        }
        let stepSize = batchSize * inputSize
        forwardDirection.backward(input: input, outputGradient: forwardGradient, inputGradient: inputGradient)
        let reversed = LayerInput(
            vectors: reversedInput.reserve(windowLength * stepSize), lookup: reversedLookup(input.lookup))
        guard case .vectors(let inputGradient) = inputGradient else {
            // No input gradient, or a table's, which both directions add to.
            reverseDirection.backward(input: reversed, outputGradient: reverseGradient, inputGradient: inputGradient)
            return
        }
        let reverseInputGradient = self.reverseInputGradient.reserve(windowLength * stepSize)
        reverseDirection.backward(
            input: reversed, outputGradient: reverseGradient, inputGradient: .vectors(reverseInputGradient))
        for t in 0..<windowLength {
            let target = inputGradient + t * stepSize
            let source = reverseInputGradient + (windowLength - 1 - t) * stepSize
            for index in 0..<stepSize { target[index] += source[index] }
        }
    }

    /// The lookup of the reversed window: its ids in reversed step order.
    private func reversedLookup(_ lookup: TableLookup?) -> TableLookup? {
        lookup.map { lookup in
            TableLookup(
                table: lookup.table, rows: lookup.rows,
                ids: (0..<windowLength).reversed().flatMap { t in lookup.ids[(t * batchSize)..<((t + 1) * batchSize)] })
        }
    }

    /// `target[t] = source[T − 1 − t]` for steps of `stepSize` floats.
    private static func reverseSteps(
        of source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, windowLength: Int, stepSize: Int
    ) {
        for t in 0..<windowLength {
            (target + t * stepSize).update(from: source + (windowLength - 1 - t) * stepSize, count: stepSize)
        }
    }
}
