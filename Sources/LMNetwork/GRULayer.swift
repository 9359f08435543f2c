import LMTensor

/// Gated recurrent unit in the `torch.nn.GRU` (cuDNN) form, gate order r, z, n:
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)
///     z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// The lecture notes (Cho et al. 2014) apply the reset gate before the hidden product,
/// `n = tanh(W_in x + W_hn (r ⊙ h) + b)`; lmtool follows PyTorch so that weights can be
/// exchanged, and because the reset-after form lets all three hidden products run as one
/// matrix product per step.
package final class GRULayer: RecurrentLayer {
    let weights: GateWeights
    package var inputSize: Int { weights.inputSize }
    package let hiddenSize: Int
    package var recurrentWeights: [Parameter] { [weights.hiddenWeight] }
    package var parameters: [Parameter] { weights.all }

    // Forward cache.
    /// `[T, B, 3H]`: input projections `W_i· x + b_i·`, then overwritten by σ(r), σ(z), tanh(n).
    private var gates = Workspace()
    /// `[T, B, 3H]`: hidden projections `W_h· h + b_h·`; only the n block is read back.
    private var hiddenProjections = Workspace()
    /// The window's shape and `[T + 1, B, H]`: `h_0` then the outputs.
    private var window: WindowCache
    // Backward workspaces.
    /// `[T, B, 3H]` gradients of the input-side and hidden-side pre-activations.
    private var inputGateGradient = Workspace()
    private var hiddenGateGradient = Workspace()

    /// - Parameter packing: as for ``LSTMLayer``.
    package init(layer: Int, inputSize: Int, hiddenSize: Int, suffix: String = "", packing: PackedMatrix.Storage = .init()) {
        self.hiddenSize = hiddenSize
        window = WindowCache(stateCount: 1, width: hiddenSize)
        weights = GateWeights(
            layer: layer, gates: 3, inputSize: inputSize, hiddenSize: hiddenSize, suffix: suffix, packing: packing)
    }

    package func forward(_ input: LayerInput, windowLength: Int, batchSize: Int, state: [Tensor])
        -> UnsafeMutablePointer<Float>
    {
        let hidden = window.beginForward(windowLength: windowLength, batchSize: batchSize, state: state)[0]
        let size = hiddenSize
        let step = window.step
        let gates = gates.reserve(windowLength * 3 * step)
        let projections = hiddenProjections.reserve(windowLength * 3 * step)
        weights.projectInput(input, rows: windowLength * batchSize, into: gates, includeHiddenBias: false)
        weights.beginForward(windowLength: windowLength, batchSize: batchSize)
        for t in 0..<windowLength {
            // [B, 3H] = b_hh + h_{t−1} [B, H] · W_hhᵀ [H, 3H]
            let stepProjections = projections + t * 3 * step
            RowOperations.fill(stepProjections, rows: batchSize, columns: 3 * size, with: weights.hiddenBias.value.pointer)
            weights.addRecurrent(hidden + t * step, batchSize: batchSize, into: stepProjections)
            ComputeThreads.forEachRange(of: batchSize, splitting: step >= GateWeights.splitThreshold) { rows in
                for b in rows {
                    // Row b: input side → [r | z | n] [3H], hidden side [3H]; h_{t−1} and h_t [H].
                    let row = gates + t * 3 * step + b * 3 * size
                    let projection = stepProjections + b * 3 * size
                    let previous = hidden + t * step + b * size
                    let output = hidden + (t + 1) * step + b * size
                    for j in 0..<(2 * size) { row[j] += projection[j] }
                    Activations.sigmoid(row, count: 2 * size)
                    for j in 0..<size { row[2 * size + j] += row[j] * projection[2 * size + j] }
                    Activations.tanh(row + 2 * size, count: size)
                    for j in 0..<size {
                        let z = row[size + j], n = row[2 * size + j]
                        output[j] = (1 - z) * n + z * previous[j]
                    }
                }
            }
        }
        window.finishForward(state: state)
        return hidden + step
    }

    package func backward(input: LayerInput, outputGradient: UnsafePointer<Float>, inputGradient: InputGradient?) {
        let (states, carriedStates) = window.beginBackward()
        let hidden = states[0], carried = carriedStates[0]
        let windowLength = window.windowLength, batchSize = window.batchSize
        let size = hiddenSize
        let step = window.step
        let gates = gates.reserve(windowLength * 3 * step)
        let projections = hiddenProjections.reserve(windowLength * 3 * step)
        let inputGateGradient = inputGateGradient.reserve(windowLength * 3 * step)
        let hiddenGateGradient = hiddenGateGradient.reserve(windowLength * 3 * step)
        weights.beginBackward(windowLength: windowLength, batchSize: batchSize)
        for t in stride(from: windowLength - 1, through: 0, by: -1) {
            ComputeThreads.forEachRange(of: batchSize, splitting: step >= GateWeights.splitThreshold) { rows in
                for b in rows {
                    // Row b: [r | z | n] and hidden side [3H] → dG of each side [3H]; carried dh [H] → z ⊙ dL/dh_t.
                    let offset = t * 3 * step + b * 3 * size
                    let row = gates + offset
                    let projection = projections + offset
                    let inputSide = inputGateGradient + offset
                    let hiddenSide = hiddenGateGradient + offset
                    let previous = hidden + t * step + b * size
                    let upstream = outputGradient + t * step + b * size
                    let dh = carried + b * size
                    for j in 0..<size {
                        let r = row[j], z = row[size + j], n = row[2 * size + j]
                        let total = upstream[j] + dh[j]
                        let candidate = total * (1 - z) * (1 - n * n)
                        let update = total * (previous[j] - n) * z * (1 - z)
                        let reset = candidate * projection[2 * size + j] * r * (1 - r)
                        inputSide[j] = reset
                        inputSide[size + j] = update
                        inputSide[2 * size + j] = candidate
                        hiddenSide[j] = reset
                        hiddenSide[size + j] = update
                        hiddenSide[2 * size + j] = candidate * r
                        dh[j] = total * z
                    }
                }
            }
            // dh_{t−1} = z ⊙ dh_t (set above) + dG_h · W_hh; not needed for h_0, the
            // incoming state (truncated BPTT).
            if t > 0 {
                weights.recurrentGradient(hiddenGateGradient + t * 3 * step, batchSize: batchSize, beta: 1, into: carried)
            }
        }
        weights.accumulateWindowGradients(
            rows: windowLength * batchSize, input: input, previousHidden: hidden,
            inputGateGradient: inputGateGradient, hiddenGateGradient: hiddenGateGradient,
            inputGradient: inputGradient)
    }
}
