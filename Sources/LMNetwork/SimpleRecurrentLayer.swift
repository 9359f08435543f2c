import LMTensor

/// The vanilla (Elman) RNN of the notes and of `torch.nn.RNN`:
/// `h_t = φ(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)`, φ = tanh or ReLU.
package final class SimpleRecurrentLayer: RecurrentLayer {
    package enum Nonlinearity: Sendable { case tanh, relu }

    package let nonlinearity: Nonlinearity
    let weights: GateWeights
    package var inputSize: Int { weights.inputSize }
    package let hiddenSize: Int
    package var recurrentWeights: [Parameter] { [weights.hiddenWeight] }
    package var parameters: [Parameter] { weights.all }

    // Forward cache, reused across windows.
    /// The window's shape and `[T + 1, B, H]`: `h_0` (the initial state) then the outputs
    /// `h_1 … h_T`.
    private var window: WindowCache
    // Backward workspaces.
    /// `[T, B, H]` pre-activation gradients.
    private var preGradient = Workspace()

    /// - Parameter packing: as for ``LSTMLayer``.
    package init(
        layer: Int, inputSize: Int, hiddenSize: Int, nonlinearity: Nonlinearity, suffix: String = "",
        packing: PackedMatrix.Storage = .init()
    ) {
        self.nonlinearity = nonlinearity
        self.hiddenSize = hiddenSize
        window = WindowCache(stateCount: 1, width: hiddenSize)
        weights = GateWeights(
            layer: layer, gates: 1, inputSize: inputSize, hiddenSize: hiddenSize, suffix: suffix, packing: packing)
    }

    package func forward(_ input: LayerInput, windowLength: Int, batchSize: Int, state: [Tensor])
        -> UnsafeMutablePointer<Float>
    {
        let hidden = window.beginForward(windowLength: windowLength, batchSize: batchSize, state: state)[0]
        let step = window.step
        let outputs = hidden + step
        weights.projectInput(input, rows: windowLength * batchSize, into: outputs, includeHiddenBias: true)
        weights.beginForward(windowLength: windowLength, batchSize: batchSize)
        for t in 0..<windowLength {
            // h_t [B, H] = φ(x_t W_ihᵀ + b_ih + b_hh (projected above) + h_{t−1} [B, H] · W_hhᵀ [H, H])
            let current = outputs + t * step
            weights.addRecurrent(hidden + t * step, batchSize: batchSize, into: current)
            ComputeThreads.forEachRange(of: batchSize, splitting: step >= GateWeights.splitThreshold) { rows in
                let values = current + rows.lowerBound * hiddenSize
                switch nonlinearity {
                case .tanh: Activations.tanh(values, count: rows.count * hiddenSize)
                case .relu: Activations.relu(values, count: rows.count * hiddenSize)
                }
            }
        }
        window.finishForward(state: state)
        return outputs
    }

    package func backward(input: LayerInput, outputGradient: UnsafePointer<Float>, inputGradient: InputGradient?) {
        let (states, carriedStates) = window.beginBackward()
        let hidden = states[0], carried = carriedStates[0]
        let windowLength = window.windowLength, batchSize = window.batchSize
        let step = window.step
        let preGradient = preGradient.reserve(windowLength * step)
        weights.beginBackward(windowLength: windowLength, batchSize: batchSize)
        let biasSums = weights.stepBiasSums()
        for t in stride(from: windowLength - 1, through: 0, by: -1) {
            let output = hidden + (t + 1) * step
            // dG [B, H] = (upstream + carried) ⊙ φ'(h_t)
            let gradient = preGradient + t * step
            ComputeThreads.forEachRange(of: batchSize, splitting: step >= GateWeights.splitThreshold) { rows in
                for index in (rows.lowerBound * hiddenSize)..<(rows.upperBound * hiddenSize) {
                    let total = outputGradient[t * step + index] + carried[index]
                    let value = output[index]
                    gradient[index] =
                        switch nonlinearity {
                        case .tanh: total * (1 - value * value)
                        case .relu: value > 0 ? total : 0
                        }
                }
            }
            // dL/dh_{t−1}; not needed for h_0, the incoming state (truncated BPTT).
            weights.finishBackwardStep(
                gradient, batchSize: batchSize, hiddenGradient: t > 0 ? carried : nil, biasSums: biasSums)
        }
        weights.accumulateWindowGradients(
            rows: windowLength * batchSize, input: input, previousHidden: hidden,
            inputGateGradient: preGradient, hiddenGateGradient: preGradient, inputGradient: inputGradient,
            stepBiasSums: biasSums)
    }
}
