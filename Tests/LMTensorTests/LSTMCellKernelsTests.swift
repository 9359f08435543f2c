import CElementwiseKernels
import Foundation
import Testing

@testable import LMTensor

/// The fused LSTM cell kernels (`vector_lstm_forward`, `vector_lstm_backward`) on every
/// instruction set this CPU has, against the cell's equations in Float64, with and without
/// peepholes, with the pre-activations whole or split between the gates and an addend (as
/// the biases or a lookup's projected row come), over 37 units (two full blocks of 16 and a
/// partial one). Tolerance 1e-5 relative plus 1e-6 absolute.
@Suite struct LSTMCellKernelsTests {
    static let size = 37

    struct Row {
        var gates: [Float]
        var previousCell: [Float]
        var upstream: [Float]
        var carriedHidden: [Float]
        var carriedCell: [Float]
        var peepholes: [[Float]]?
    }

    static func row(peephole: Bool) -> Row {
        var generator = RandomGenerator(seed: peephole ? 3 : 2)
        func values(_ count: Int, _ scale: Float) -> [Float] { (0..<count).map { _ in scale * generator.nextNormal() } }
        return Row(
            gates: values(4 * size, 2), previousCell: values(size, 1), upstream: values(size, 1),
            carriedHidden: values(size, 1), carriedCell: values(size, 1),
            peepholes: peephole ? [values(size, 0.5), values(size, 0.5), values(size, 0.5)] : nil)
    }

    /// Activations, cell, output, gate gradients and dL/dc_{t−1} by the equations.
    static func reference(_ row: Row) -> (activations: [Double], cell: [Double], output: [Double], gradients: [Double], previousCellGradient: [Double]) {
        let n = size
        func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        var activations = [Double](repeating: 0, count: 4 * n)
        var cell = [Double](repeating: 0, count: n), output = cell, previousCellGradient = cell
        var gradients = activations
        for j in 0..<n {
            let previous = Double(row.previousCell[j])
            let peephole = row.peepholes.map { $0.map { Double($0[j]) } } ?? [0, 0, 0]
            let i = sigmoid(Double(row.gates[j]) + peephole[0] * previous)
            let f = sigmoid(Double(row.gates[n + j]) + peephole[1] * previous)
            let g = tanh(Double(row.gates[2 * n + j]))
            let c = f * previous + i * g
            let o = sigmoid(Double(row.gates[3 * n + j]) + peephole[2] * c)
            (activations[j], activations[n + j], activations[2 * n + j], activations[3 * n + j]) = (i, f, g, o)
            cell[j] = c
            output[j] = o * tanh(c)
            let dh = Double(row.upstream[j]) + Double(row.carriedHidden[j])
            let dOutput = dh * tanh(c) * o * (1 - o)
            let dc = Double(row.carriedCell[j]) + dh * o * (1 - tanh(c) * tanh(c)) + dOutput * peephole[2]
            let dInput = dc * g * i * (1 - i)
            let dForget = dc * previous * f * (1 - f)
            (gradients[j], gradients[n + j], gradients[2 * n + j], gradients[3 * n + j]) =
                (dInput, dForget, dc * i * (1 - g * g), dOutput)
            previousCellGradient[j] = dc * f + dInput * peephole[0] + dForget * peephole[1]
        }
        return (activations, cell, output, gradients, previousCellGradient)
    }

    static func expectClose(_ actual: [Float], _ expected: [Double], _ what: String) {
        for (index, (a, e)) in zip(actual, expected).enumerated() {
            #expect(abs(Double(a) - e) <= 1e-5 * abs(e) + 1e-6, "\(what)[\(index)]: \(a), expected \(e)")
        }
    }

    @Test(arguments: PackedMatrix.InstructionSet.supported, [(false, false), (true, false), (false, true)])
    func forwardAndBackwardFollowTheEquations(instructionSet: PackedMatrix.InstructionSet, options: (Bool, Bool)) {
        let (peephole, split) = options
        let row = Self.row(peephole: peephole)
        let expected = Self.reference(row)
        let isa = instructionSet.cValue
        // Split: the gates hold the pre-activations less an addend, which the kernel adds back.
        let addend = split ? row.gates.indices.map { Float($0 % 7) - 3 } : nil
        var gates = addend.map { zip(row.gates, $0).map { $0 - $1 } } ?? row.gates
        var cell = [Float](repeating: 0, count: Self.size), output = cell
        var carriedCell = row.carriedCell
        func withPeepholes(_ body: (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?) -> Void) {
            guard let weights = row.peepholes else { return body(nil, nil, nil) }
            weights[0].withUnsafeBufferPointer { ci in
                weights[1].withUnsafeBufferPointer { cf in
                    weights[2].withUnsafeBufferPointer { co in body(ci.baseAddress, cf.baseAddress, co.baseAddress) }
                }
            }
        }
        withPeepholes { ci, cf, co in
            vector_lstm_forward(isa, &gates, addend, row.previousCell, &cell, &output, ci, cf, co, Self.size)
        }
        Self.expectClose(gates, expected.activations, "\(instructionSet) activations")
        Self.expectClose(cell, expected.cell, "\(instructionSet) cell")
        Self.expectClose(output, expected.output, "\(instructionSet) output")
        withPeepholes { ci, cf, co in
            vector_lstm_backward(
                isa, &gates, row.previousCell, cell, row.upstream, row.carriedHidden, &carriedCell, ci, cf, co, Self.size)
        }
        Self.expectClose(gates, expected.gradients, "\(instructionSet) gate gradients")
        Self.expectClose(carriedCell, expected.previousCellGradient, "\(instructionSet) previous cell gradient")
    }
}
