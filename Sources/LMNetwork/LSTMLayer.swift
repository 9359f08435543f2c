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
    public var parameters: [Parameter] {
        weights.all + [peepholeInput, peepholeForget, peepholeOutput].compactMap { $0 }
    }

    // Forward cache.
    /// `[T, B, 4H]`: gate activations σ(i), σ(f), tanh(g), σ(o); backward replaces each
    /// step's activations by their pre-activation gradients `dG` once it has read them.
    private var gates = Workspace()
    /// `[T + 1, B, H]`: `c_0` then `c_1 … c_T`.
    private var cells = Workspace()
    /// `[T + 1, B, H]`: `h_0` then the outputs.
    private var hidden = Workspace()
    /// `[B, H]`: `tanh(c_t)` of the step at hand (recomputed backward: cheaper than
    /// keeping `[T, B, H]`).
    private var cellTanh = Workspace()
    private var windowLength = 0
    private var batchSize = 0
    // Backward workspaces.
    private var carriedHidden = Workspace()
    private var carriedCell = Workspace()

    /// h and c.
    public var stateCount: Int { 2 }

    /// - Parameter packing: where the recurrent weight is packed for a window's steps; a
    ///   stack's layers may share one (``PackedMatrix/Storage``).
    public init(
        layer: Int, inputSize: Int, hiddenSize: Int, peephole: Bool, suffix: String = "",
        packing: PackedMatrix.Storage = .init()
    ) {
        self.hiddenSize = hiddenSize
        weights = GateWeights(
            layer: layer, gates: 4, inputSize: inputSize, hiddenSize: hiddenSize, suffix: suffix, packing: packing)
        let tag = "l\(layer)\(suffix)"
        peepholeInput = peephole ? Parameter(name: "rnn.weight_ci_\(tag)", shape: [hiddenSize]) : nil
        peepholeForget = peephole ? Parameter(name: "rnn.weight_cf_\(tag)", shape: [hiddenSize]) : nil
        peepholeOutput = peephole ? Parameter(name: "rnn.weight_co_\(tag)", shape: [hiddenSize]) : nil
    }

    public func forward(input: UnsafePointer<Float>, windowLength: Int, batchSize: Int, state: [Tensor])
        -> UnsafeMutablePointer<Float>
    {
        self.windowLength = windowLength
        self.batchSize = batchSize
        let size = hiddenSize
        let step = batchSize * size
        let gates = gates.reserve(windowLength * 4 * step)
        let cells = cells.reserve((windowLength + 1) * step)
        let hidden = hidden.reserve((windowLength + 1) * step)
        let cellTanh = cellTanh.reserve(step)
        hidden.update(from: state[0].pointer, count: step)
        cells.update(from: state[1].pointer, count: step)
        weights.projectInput(input, rows: windowLength * batchSize, into: gates, includeHiddenBias: true)
        weights.beginForward(windowLength: windowLength, batchSize: batchSize)
        let ci = peepholeInput?.value.pointer
        let cf = peepholeForget?.value.pointer
        let co = peepholeOutput?.value.pointer
        for t in 0..<windowLength {
            let stepGates = gates + t * 4 * step
            weights.addRecurrent(hidden + t * step, batchSize: batchSize, into: stepGates)
            ComputeThreads.forEachRange(of: batchSize, splitting: step >= GateWeights.splitThreshold) { rows in
                for b in rows {
                    let row = stepGates + b * 4 * size
                    let previousCell = cells + t * step + b * size
                    let cell = cells + (t + 1) * step + b * size
                    let tanhCell = cellTanh + b * size
                    let output = hidden + (t + 1) * step + b * size
                    if let ci, let cf {
                        for j in 0..<size {
                            row[j] += ci[j] * previousCell[j]
                            row[size + j] += cf[j] * previousCell[j]
                        }
                    }
                    Activations.sigmoid(row, count: 2 * size)
                    Activations.tanh(row + 2 * size, count: size)
                    for j in 0..<size {
                        cell[j] = row[size + j] * previousCell[j] + row[j] * row[2 * size + j]
                    }
                    if let co {
                        for j in 0..<size { row[3 * size + j] += co[j] * cell[j] }
                    }
                    Activations.sigmoid(row + 3 * size, count: size)
                    tanhCell.update(from: cell, count: size)
                    Activations.tanh(tanhCell, count: size)
                    for j in 0..<size { output[j] = row[3 * size + j] * tanhCell[j] }
                }
            }
        }
        state[0].pointer.update(from: hidden + windowLength * step, count: step)
        state[1].pointer.update(from: cells + windowLength * step, count: step)
        return hidden + step
    }

    public func backward(
        input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        inputGradient: UnsafeMutablePointer<Float>?
    ) {
        let size = hiddenSize
        let step = batchSize * size
        let gates = gates.reserve(windowLength * 4 * step)
        let cells = cells.reserve((windowLength + 1) * step)
        let hidden = hidden.reserve((windowLength + 1) * step)
        let cellTanh = cellTanh.reserve(step)
        // In place: a step's activations are dead once its gate gradients are known
        // (saves `[T, B, 4H]`, 7 MB per 650-wide layer at batch 20, bptt 35).
        let gateGradient = gates
        let carriedHidden = carriedHidden.reserveZeroed(step)
        let carriedCell = carriedCell.reserveZeroed(step)
        let ci = peepholeInput?.value.pointer
        let cf = peepholeForget?.value.pointer
        let co = peepholeOutput?.value.pointer
        weights.beginBackward(windowLength: windowLength, batchSize: batchSize)
        // Peephole weight gradients are sums over the batch rows: kept on one thread, in order.
        let splitting = step >= GateWeights.splitThreshold && peepholeInput == nil
        for t in stride(from: windowLength - 1, through: 0, by: -1) {
            ComputeThreads.forEachRange(of: batchSize, splitting: splitting) { rows in
                for b in rows {
                    let row = gates + t * 4 * step + b * 4 * size
                    let gradientRow = gateGradient + t * 4 * step + b * 4 * size
                    let previousCell = cells + t * step + b * size
                    let cell = cells + (t + 1) * step + b * size
                    let tanhCell = cellTanh + b * size
                    tanhCell.update(from: cell, count: size)
                    Activations.tanh(tanhCell, count: size)
                    let upstream = outputGradient + t * step + b * size
                    let dh = carriedHidden + b * size
                    let dc = carriedCell + b * size
                    for j in 0..<size {
                        let i = row[j], f = row[size + j], g = row[2 * size + j], o = row[3 * size + j]
                        let hiddenGradient = upstream[j] + dh[j]
                        let outputGate = hiddenGradient * tanhCell[j] * o * (1 - o)
                        var cellGradient = dc[j] + hiddenGradient * o * (1 - tanhCell[j] * tanhCell[j])
                        if let co { cellGradient += outputGate * co[j] }
                        let inputGate = cellGradient * g * i * (1 - i)
                        let forgetGate = cellGradient * previousCell[j] * f * (1 - f)
                        let candidate = cellGradient * i * (1 - g * g)
                        gradientRow[j] = inputGate
                        gradientRow[size + j] = forgetGate
                        gradientRow[2 * size + j] = candidate
                        gradientRow[3 * size + j] = outputGate
                        var nextCellGradient = cellGradient * f
                        if let ci, let cf { nextCellGradient += inputGate * ci[j] + forgetGate * cf[j] }
                        dc[j] = nextCellGradient
                    }
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
            weights.recurrentGradient(gateGradient + t * 4 * step, batchSize: batchSize, into: carriedHidden)
        }
        weights.accumulateWindowGradients(
            rows: windowLength * batchSize, input: input, previousHidden: hidden,
            inputGateGradient: gateGradient, hiddenGateGradient: gateGradient, inputGradient: inputGradient)
    }
}
