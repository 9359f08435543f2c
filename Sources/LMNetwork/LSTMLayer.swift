import Foundation
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
///
/// The cell's element-wise work, one batch row of one step, is written out below as plain
/// Swift, ``forwardStep(gates:adding:previousCell:cell:output:peepholes:size:)`` beside
/// ``backwardStep(gates:previousCell:cell:upstream:carriedHidden:carriedCell:peepholes:size:)``;
/// they run while ``OptimisedPaths/enabled`` is off. With it on (the default) the layer runs
/// their SIMD twin in C, ``LSTMCellKernel``, which LMNetworkTests holds to them.
package final class LSTMLayer: RecurrentLayer {
    let weights: GateWeights
    /// `[H]` each, present with peephole connections.
    let peepholeInput: Parameter?
    let peepholeForget: Parameter?
    let peepholeOutput: Parameter?
    package var inputSize: Int { weights.inputSize }
    package let hiddenSize: Int
    package var recurrentWeights: [Parameter] { [weights.hiddenWeight] }
    package var parameters: [Parameter] {
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
    package var stateCount: Int { 2 }

    /// - Parameter packing: where the recurrent weight is packed for a window's steps; a
    ///   stack's layers may share one (``PackedMatrix/Storage``).
    package init(
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
    private var peepholes: Peepholes? {
        guard let peepholeInput, let peepholeForget, let peepholeOutput else { return nil }
        return .init(
            input: peepholeInput.value.pointer, forget: peepholeForget.value.pointer,
            output: peepholeOutput.value.pointer)
    }

    package func forward(_ input: LayerInput, windowLength: Int, batchSize: Int, state: [Tensor])
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
        let fast = OptimisedPaths.enabled
        for t in 0..<windowLength {
            // [B, 4H] += h_{t−1} [B, H] · W_hhᵀ [H, 4H]
            let stepGates = gates + t * 4 * step
            weights.addRecurrent(hidden + t * step, batchSize: batchSize, into: stepGates, beta: recurrentBeta)
            ComputeThreads.forEachRange(of: batchSize, splitting: step >= GateWeights.splitThreshold) { rows in
                for b in rows {
                    // Row b: gates [4H]; c_{t−1}, c_t and h_t [H].
                    let rowGates = stepGates + b * 4 * size, addend = inputTerms.row(t * batchSize + b)
                    let previousCell = cells + t * step + b * size
                    let cell = cells + (t + 1) * step + b * size, output = hidden + (t + 1) * step + b * size
                    if fast {
                        LSTMCellKernel.forward(
                            gates: rowGates, adding: addend, previousCell: previousCell, cell: cell, output: output,
                            peepholes: peepholes, size: size)
                    } else {
                        Self.forwardStep(
                            gates: rowGates, adding: addend, previousCell: previousCell, cell: cell, output: output,
                            peepholes: peepholes, size: size)
                    }
                }
            }
        }
        window.finishForward(state: state)
        return hidden + step
    }

    package func backward(input: LayerInput, outputGradient: UnsafePointer<Float>, inputGradient: InputGradient?) {
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
        let fast = OptimisedPaths.enabled
        for t in stride(from: windowLength - 1, through: 0, by: -1) {
            ComputeThreads.forEachRange(of: batchSize, splitting: splitting) { rows in
                for b in rows {
                    // Row b: activations → dG [4H]; c_{t−1}, c_t, dh_t's two terms, dc_t → dc_{t−1} [H].
                    let gradientRow = gateGradient + t * 4 * step + b * 4 * size
                    let previousCell = cells + t * step + b * size
                    let cell = cells + (t + 1) * step + b * size
                    let upstream = outputGradient + t * step + b * size
                    if fast {
                        LSTMCellKernel.backward(
                            gates: gradientRow, previousCell: previousCell, cell: cell, upstream: upstream,
                            carriedHidden: carriedHidden + b * size, carriedCell: carriedCell + b * size,
                            peepholes: peepholes, size: size)
                    } else {
                        Self.backwardStep(
                            gates: gradientRow, previousCell: previousCell, cell: cell, upstream: upstream,
                            carriedHidden: carriedHidden + b * size, carriedCell: carriedCell + b * size,
                            peepholes: peepholes, size: size)
                    }
                    // dw_ci += di ⊙ c_{t−1}, dw_cf += df ⊙ c_{t−1}, dw_co += do ⊙ c_t
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
            // dL/dh_{t−1} [B, H] = dG [B, 4H] · W_hh [4H, H]; not needed for h_0, the incoming state (truncated BPTT).
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

// MARK: - The cell's step, in plain Swift

extension LSTMLayer {
    /// Peephole weights `w_ci`, `w_cf`, `w_co`, `[H]` each.
    struct Peepholes {
        let input: UnsafePointer<Float>
        let forget: UnsafePointer<Float>
        let output: UnsafePointer<Float>
    }

    /// One step of the cell for one batch row, `H = size`:
    ///
    ///     [i | f | g | o] = gates + addend                      (pre-activations, [4H])
    ///     i ← σ(i + w_ci ⊙ c_{t−1})   f ← σ(f + w_cf ⊙ c_{t−1})   g ← tanh(g)
    ///     c_t = f ⊙ c_{t−1} + i ⊙ g
    ///     o ← σ(o + w_co ⊙ c_t)
    ///     h_t = o ⊙ tanh(c_t)
    ///
    /// without the `w_c·` terms when `peepholes` is nil.
    /// - Parameters:
    ///   - gates: `[4H]`, the pre-activations less `addend`; overwritten with the activations
    ///     `[i | f | g | o]` after their non-linearities, which backward reads.
    ///   - addend: `[4H]`, the biases `b_ih + b_hh` or a lookup's projected row (biases
    ///     included), or nil when `gates` holds everything.
    ///   - previousCell: `c_{t−1}`, `[H]`.
    ///   - cell: `c_t`, `[H]`, written.
    ///   - output: `h_t`, `[H]`, written.
    static func forwardStep(
        gates: UnsafeMutablePointer<Float>, adding addend: UnsafePointer<Float>?,
        previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
        peepholes: Peepholes?, size: Int
    ) {
        let (input, forget, candidate, outputGate) = (gates, gates + size, gates + 2 * size, gates + 3 * size)
        for j in 0..<size {
            var i = input[j], f = forget[j], g = candidate[j], o = outputGate[j]
            if let addend {
                i += addend[j]
                f += addend[size + j]
                g += addend[2 * size + j]
                o += addend[3 * size + j]
            }
            let previous = previousCell[j]
            if let peepholes {
                i += peepholes.input[j] * previous
                f += peepholes.forget[j] * previous
            }
            i = sigmoid(i)
            f = sigmoid(f)
            g = tanh(g)
            let c = f * previous + i * g
            if let peepholes { o += peepholes.output[j] * c }
            o = sigmoid(o)
            (input[j], forget[j], candidate[j], outputGate[j]) = (i, f, g, o)
            cell[j] = c
            output[j] = o * tanh(c)
        }
    }

    /// The backward of ``forwardStep(gates:adding:previousCell:cell:output:peepholes:size:)``
    /// for the same row, with `tanh(c_t)` recomputed:
    ///
    ///     dh  = upstream + carriedHidden                        (dL/dh_t, [H])
    ///     do  = dh ⊙ tanh(c_t) ⊙ o(1 − o)
    ///     dc  = dc_t + dh ⊙ o ⊙ (1 − tanh²(c_t)) + do ⊙ w_co     (dL/dc_t in all)
    ///     di  = dc ⊙ g ⊙ i(1 − i)      df = dc ⊙ c_{t−1} ⊙ f(1 − f)      dg = dc ⊙ i ⊙ (1 − g²)
    ///     dc_{t−1} = dc ⊙ f + di ⊙ w_ci + df ⊙ w_cf
    ///
    /// (`di`, `df`, `dg`, `do` are gradients of the pre-activations.)
    /// - Parameters:
    ///   - gates: `[4H]`, the step's activations `[i | f | g | o]`; overwritten with
    ///     `dG = [di | df | dg | do]`.
    ///   - previousCell: `c_{t−1}`, `[H]`.
    ///   - cell: `c_t`, `[H]`.
    ///   - upstream: `[H]`, the loss gradient of the output `h_t` itself.
    ///   - carriedHidden: `[H]`, the gradient reaching `h_t` through step t + 1.
    ///   - carriedCell: `[H]`, `dL/dc_t` from step t + 1; overwritten with `dL/dc_{t−1}`.
    static func backwardStep(
        gates: UnsafeMutablePointer<Float>, previousCell: UnsafePointer<Float>, cell: UnsafePointer<Float>,
        upstream: UnsafePointer<Float>, carriedHidden: UnsafePointer<Float>, carriedCell: UnsafeMutablePointer<Float>,
        peepholes: Peepholes?, size: Int
    ) {
        let (input, forget, candidate, outputGate) = (gates, gates + size, gates + 2 * size, gates + 3 * size)
        for j in 0..<size {
            let i = input[j], f = forget[j], g = candidate[j], o = outputGate[j]
            let previous = previousCell[j], tanhCell = tanh(cell[j])
            let dh = upstream[j] + carriedHidden[j]
            let dOutput = dh * tanhCell * o * (1 - o)
            var dc = carriedCell[j] + dh * o * (1 - tanhCell * tanhCell)
            if let peepholes { dc += dOutput * peepholes.output[j] }
            let dInput = dc * g * i * (1 - i)
            let dForget = dc * previous * f * (1 - f)
            let dCandidate = dc * i * (1 - g * g)
            var dPrevious = dc * f
            if let peepholes { dPrevious += dInput * peepholes.input[j] + dForget * peepholes.forget[j] }
            (input[j], forget[j], candidate[j], outputGate[j]) = (dInput, dForget, dCandidate, dOutput)
            carriedCell[j] = dPrevious
        }
    }

    /// `1 / (1 + e^−x)`.
    private static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
}
