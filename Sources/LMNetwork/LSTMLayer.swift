import LMTensor

/// Long short-term memory, `torch.nn.LSTM` layout: the four gate pre-activations are one
/// affine transform `G = x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh`, `G = [i | f | g | o]`
/// (PyTorch's gate order), then
/// `c_t = σ(f) ⊙ c_{t−1} + σ(i) ⊙ tanh(g)`, `h_t = σ(o) ⊙ tanh(c_t)`.
///
/// With `peephole` the gates also see the cell (Gers & Schmidhuber): `i` and `f` add
/// `w_ci ⊙ c_{t−1}` and `w_cf ⊙ c_{t−1}`, `o` adds `w_co ⊙ c_t`, with diagonal weights
/// `rnn.weight_ci_l{k}`, `rnn.weight_cf_l{k}`, `rnn.weight_co_l{k}` `[H]` — an lmtool
/// extension: PyTorch's LSTM has no peepholes.
public final class LSTMLayer: RecurrentLayer {
    let weights: GateWeights
    /// `[H]` each, present with peephole connections.
    let peepholeInput: Parameter?
    let peepholeForget: Parameter?
    let peepholeOutput: Parameter?
    public var inputSize: Int { weights.inputSize }
    public let hiddenSize: Int
    public var recurrentWeights: [Parameter] { [weights.hiddenWeight] }
    public var parameters: [Parameter] {
        weights.all + [peepholeInput, peepholeForget, peepholeOutput].compactMap { $0 }
    }

    // Forward cache.
    /// `[T, B, 4H]`: gate activations σ(i), σ(f), tanh(g), σ(o); backward replaces each
    /// step's activations by their pre-activation gradients `dG` once it has read them.
    private var gates = Workspace()
    /// The window's shape and `[T + 1, B, H]` each: `h_0` then the outputs, `c_0` then
    /// `c_1 … c_T`. (`tanh(c_t)` is recomputed backward: cheaper than keeping `[T, B, H]`.)
    private var window: WindowCache

    /// h and c.
    public var stateCount: Int { 2 }

    /// - Parameter packing: where the recurrent weight is packed for a window's steps; a
    ///   stack's layers may share one (``PackedMatrix/Storage``).
    public init(
        layer: Int, inputSize: Int, hiddenSize: Int, peephole: Bool, suffix: String = "",
        packing: PackedMatrix.Storage = .init()
    ) {
        self.hiddenSize = hiddenSize
        window = WindowCache(stateCount: 2, width: hiddenSize)
        weights = GateWeights(
            layer: layer, gates: 4, inputSize: inputSize, hiddenSize: hiddenSize, suffix: suffix, packing: packing)
        let tag = "l\(layer)\(suffix)"
        peepholeInput = peephole ? Parameter(name: "rnn.weight_ci_\(tag)", shape: [hiddenSize]) : nil
        peepholeForget = peephole ? Parameter(name: "rnn.weight_cf_\(tag)", shape: [hiddenSize]) : nil
        peepholeOutput = peephole ? Parameter(name: "rnn.weight_co_\(tag)", shape: [hiddenSize]) : nil
    }

    /// The peephole weights, when the layer has them.
    private var peepholes: LSTMCellKernels.Peepholes? {
        guard let peepholeInput, let peepholeForget, let peepholeOutput else { return nil }
        return .init(
            input: peepholeInput.value.pointer, forget: peepholeForget.value.pointer,
            output: peepholeOutput.value.pointer)
    }

    public func forward(_ input: LayerInput, windowLength: Int, batchSize: Int, state: [Tensor])
        -> UnsafeMutablePointer<Float>
    {
        let states = window.beginForward(windowLength: windowLength, batchSize: batchSize, state: state)
        let hidden = states[0], cells = states[1]
        let size = hiddenSize
        let step = window.step
        let gates = gates.reserve(windowLength * 4 * step)
        // The biases, or a folded embedding's projected rows, are added by the cell.
        let inputTerms = weights.projectInputLeavingTerms(input, rows: windowLength * batchSize, into: gates)
        let recurrentBeta: Float = inputTerms.gatesHoldInput ? 1 : 0
        weights.beginForward(windowLength: windowLength, batchSize: batchSize)
        let peepholes = peepholes
        for t in 0..<windowLength {
            let stepGates = gates + t * 4 * step
            weights.addRecurrent(hidden + t * step, batchSize: batchSize, into: stepGates, beta: recurrentBeta)
            ComputeThreads.forEachRange(of: batchSize, splitting: step >= GateWeights.splitThreshold) { rows in
                for b in rows {
                    LSTMCellKernels.forward(
                        gates: stepGates + b * 4 * size, adding: inputTerms.row(t * batchSize + b),
                        previousCell: cells + t * step + b * size,
                        cell: cells + (t + 1) * step + b * size, output: hidden + (t + 1) * step + b * size,
                        peepholes: peepholes, size: size)
                }
            }
        }
        window.finishForward(state: state)
        return hidden + step
    }

    public func backward(input: LayerInput, outputGradient: UnsafePointer<Float>, inputGradient: InputGradient?) {
        let (states, carried) = window.beginBackward()
        let hidden = states[0], cells = states[1]
        let carriedHidden = carried[0], carriedCell = carried[1]
        let windowLength = window.windowLength, batchSize = window.batchSize
        let size = hiddenSize
        let step = window.step
        // In place: a step's activations are dead once its gate gradients are known
        // (saves `[T, B, 4H]`, 7 MB per 650-wide layer at batch 20, bptt 35).
        let gateGradient = gates.reserve(windowLength * 4 * step)
        let peepholes = peepholes
        weights.beginBackward(windowLength: windowLength, batchSize: batchSize)
        let biasSums = weights.stepBiasSums()
        // Peephole weight gradients are sums over the batch rows: kept on one thread, in order.
        let splitting = step >= GateWeights.splitThreshold && peepholes == nil
        for t in stride(from: windowLength - 1, through: 0, by: -1) {
            ComputeThreads.forEachRange(of: batchSize, splitting: splitting) { rows in
                for b in rows {
                    let gradientRow = gateGradient + t * 4 * step + b * 4 * size
                    let previousCell = cells + t * step + b * size
                    let cell = cells + (t + 1) * step + b * size
                    LSTMCellKernels.backward(
                        gates: gradientRow, previousCell: previousCell, cell: cell,
                        upstream: outputGradient + t * step + b * size, carriedHidden: carriedHidden + b * size,
                        carriedCell: carriedCell + b * size, peepholes: peepholes, size: size)
                    if let peepholeInput, let peepholeForget, let peepholeOutput {
                        let gci = peepholeInput.gradient.pointer
                        let gcf = peepholeForget.gradient.pointer
                        let gco = peepholeOutput.gradient.pointer
                        for j in 0..<size {
                            gci[j] += gradientRow[j] * previousCell[j]
                            gcf[j] += gradientRow[size + j] * previousCell[j]
                            gco[j] += gradientRow[3 * size + j] * cell[j]
                        }
                    }
                }
            }
            // dL/dh_{t−1}; not needed for h_0, the incoming state (truncated BPTT).
            weights.finishBackwardStep(
                gateGradient + t * 4 * step, batchSize: batchSize, hiddenGradient: t > 0 ? carriedHidden : nil,
                biasSums: biasSums)
        }
        weights.accumulateWindowGradients(
            rows: windowLength * batchSize, input: input, previousHidden: hidden,
            inputGateGradient: gateGradient, hiddenGateGradient: gateGradient, inputGradient: inputGradient,
            stepBiasSums: biasSums)
    }
}
