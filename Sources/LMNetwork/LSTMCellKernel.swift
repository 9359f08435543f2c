import CCPU
import CElementwiseKernels
import LMTensor

/// The fast twin of ``LSTMLayer``'s plain steps
/// (``LSTMLayer/forwardStep(gates:adding:previousCell:cell:output:peepholes:size:)`` and
/// ``LSTMLayer/backwardStep(gates:previousCell:cell:upstream:carriedHidden:carriedCell:peepholes:size:)``):
/// the same step for one batch row, with the same arguments, fused into one pass over the
/// units at the CPU's full vector width (`CElementwiseKernels`' `vector_lstm_forward` and
/// `vector_lstm_backward`, `lstm_cell_body.h`, with ``Activations``' sigmoid and tanh
/// inside). The layer runs it while ``OptimisedPaths/enabled`` is on; LMNetworkTests holds
/// it to the plain steps on every instruction set the CPU has.
enum LSTMCellKernel {
    /// ``LSTMLayer/forwardStep(gates:adding:previousCell:cell:output:peepholes:size:)``:
    /// `gates [4H]` (plus `addend [4H]`) → activations, `cell [H]` ← `c_t`, `output [H]` ← `h_t`.
    static func forward(
        gates: UnsafeMutablePointer<Float>, adding addend: UnsafePointer<Float>? = nil,
        previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>,
        peepholes: LSTMLayer.Peepholes?, size: Int, instructionSet: PackedMatrix.InstructionSet = .best
    ) {
        vector_lstm_forward(
            instructionSet.kernels, gates, addend, previousCell, cell, output, peepholes?.input, peepholes?.forget,
            peepholes?.output, size)
    }

    /// ``LSTMLayer/backwardStep(gates:previousCell:cell:upstream:carriedHidden:carriedCell:peepholes:size:)``:
    /// `gates [4H]` activations → `dG`, `carriedCell [H]` `dc_t` → `dc_{t−1}`.
    static func backward(
        gates: UnsafeMutablePointer<Float>, previousCell: UnsafePointer<Float>, cell: UnsafePointer<Float>,
        upstream: UnsafePointer<Float>, carriedHidden: UnsafePointer<Float>, carriedCell: UnsafeMutablePointer<Float>,
        peepholes: LSTMLayer.Peepholes?, size: Int, instructionSet: PackedMatrix.InstructionSet = .best
    ) {
        vector_lstm_backward(
            instructionSet.kernels, gates, previousCell, cell, upstream, carriedHidden, carriedCell, peepholes?.input,
            peepholes?.forget, peepholes?.output, size)
    }
}

extension PackedMatrix.InstructionSet {
    /// The C kernels' name for it.
    fileprivate var kernels: ccpu_isa { ccpu_isa(rawValue: UInt32(rawValue)) }
}
