import CElementwiseKernels

/// The LSTM cell's element-wise work for one batch row, fused into one pass over the
/// units at the CPU's full vector width (`CElementwiseKernels`' `vector_lstm_forward` and
/// `vector_lstm_backward`; ``Activations``' sigmoid and tanh inside). Gate order is
/// PyTorch's, `[i | f | g | o]`, each `size` wide.
public enum LSTMCellKernels {
    /// Peephole weights `w_ci`, `w_cf`, `w_co` (`[size]` each), or none.
    public struct Peepholes {
        public let input: UnsafePointer<Float>
        public let forget: UnsafePointer<Float>
        public let output: UnsafePointer<Float>

        public init(input: UnsafePointer<Float>, forget: UnsafePointer<Float>, output: UnsafePointer<Float>) {
            self.input = input
            self.forget = forget
            self.output = output
        }
    }

    /// `gates [4·size]` (plus `addend [4·size]` when given: the biases, or a lookup's
    /// projected row) are the pre-activations; `gates` becomes the activations σ(i), σ(f),
    /// tanh(g), σ(o); `cell ← σ(f) ⊙ previousCell + σ(i) ⊙ tanh(g)`, `output ← σ(o) ⊙ tanh(cell)`.
    public static func forward(
        gates: UnsafeMutablePointer<Float>, adding addend: UnsafePointer<Float>? = nil,
        previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
        peepholes: Peepholes?, size: Int
    ) {
        vector_lstm_forward(
            Activations.kernels, gates, addend, previousCell, cell, output, peepholes?.input, peepholes?.forget,
            peepholes?.output, size)
    }

    /// The step's backward: `gates` holds its activations and becomes `dG`, in place;
    /// `dL/dh = upstream + carriedHidden`; `carriedCell` holds `dL/dc_t` and becomes
    /// `dL/dc_{t−1}`.
    public static func backward(
        gates: UnsafeMutablePointer<Float>, previousCell: UnsafePointer<Float>, cell: UnsafePointer<Float>,
        upstream: UnsafePointer<Float>, carriedHidden: UnsafePointer<Float>, carriedCell: UnsafeMutablePointer<Float>,
        peepholes: Peepholes?, size: Int
    ) {
        vector_lstm_backward(
            Activations.kernels, gates, previousCell, cell, upstream, carriedHidden, carriedCell, peepholes?.input,
            peepholes?.forget, peepholes?.output, size)
    }
}
