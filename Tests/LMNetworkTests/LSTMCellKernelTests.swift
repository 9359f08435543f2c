import Foundation
import LMTensor
import Testing

@testable import LMNetwork

/// The LSTM cell's step for one batch row: the C kernel (``LSTMCellKernel``) on every
/// instruction set this CPU has against the layer's plain Swift steps, and the plain
/// backward against finite differences of the plain forward; with and without
/// peepholes, with the pre-activations whole or split between the gates and an addend (as
/// the biases or a lookup's projected row come), over 37 units (two full blocks of 16 and
/// a partial one).
@Suite struct LSTMCellKernelTests {
    static let size = 37

    /// One row's inputs: forward's pre-activations `[4H]` and `c_{t−1}`, backward's
    /// incoming gradients, peephole weights `[H]` each.
    struct Row {
        var gates: [Float]
        var addend: [Float]?
        var previousCell: [Float]
        var upstream: [Float]
        var carriedHidden: [Float]
        var carriedCell: [Float]
        var peepholes: [[Float]]?

        init(peephole: Bool, split: Bool) {
            var generator = RandomGenerator(seed: peephole ? 3 : 2)
            func values(_ count: Int, _ scale: Float) -> [Float] {
                (0..<count).map { _ in scale * generator.nextNormal() }
            }
            let size = LSTMCellKernelTests.size
            gates = values(4 * size, 2)
            previousCell = values(size, 1)
            upstream = values(size, 1)
            carriedHidden = values(size, 1)
            carriedCell = values(size, 1)
            peepholes = peephole ? [values(size, 0.5), values(size, 0.5), values(size, 0.5)] : nil
            // Split: the gates hold the pre-activations less an addend, which the step adds back.
            if split {
                let addend = gates.indices.map { Float($0 % 7) - 3 }
                self.addend = addend
                gates = zip(gates, addend).map { $0 - $1 }
            }
        }

        func withPeepholes<Result>(_ body: (LSTMLayer.Peepholes?) -> Result) -> Result {
            guard let weights = peepholes else { return body(nil) }
            return weights[0].withUnsafeBufferPointer { ci in
                weights[1].withUnsafeBufferPointer { cf in
                    weights[2].withUnsafeBufferPointer { co in
                        body(.init(input: ci.baseAddress!, forget: cf.baseAddress!, output: co.baseAddress!))
                    }
                }
            }
        }
    }

    /// What a step writes: forward's activations, `c_t`, `h_t`; backward's `dG` and `dc_{t−1}`.
    struct Results {
        var activations: [Float]
        var cell: [Float]
        var output: [Float]
        var gateGradients: [Float]
        var previousCellGradient: [Float]
    }

    /// Runs `row` forward then backward through the C kernel on `instructionSet`, or
    /// through the plain Swift steps when nil.
    static func run(_ row: Row, on instructionSet: PackedMatrix.InstructionSet?) -> Results {
        var gates = row.gates
        var cell = [Float](repeating: 0, count: size), output = cell
        var carriedCell = row.carriedCell
        row.withPeepholes { peepholes in
            if let instructionSet {
                LSTMCellKernel.forward(
                    gates: &gates, adding: row.addend, previousCell: row.previousCell, cell: &cell, output: &output,
                    peepholes: peepholes, size: size, instructionSet: instructionSet)
            } else {
                LSTMLayer.forwardStep(
                    gates: &gates, adding: row.addend, previousCell: row.previousCell, cell: &cell, output: &output,
                    peepholes: peepholes, size: size)
            }
        }
        let activations = gates
        row.withPeepholes { peepholes in
            if let instructionSet {
                LSTMCellKernel.backward(
                    gates: &gates, previousCell: row.previousCell, cell: cell, upstream: row.upstream,
                    carriedHidden: row.carriedHidden, carriedCell: &carriedCell, peepholes: peepholes, size: size,
                    instructionSet: instructionSet)
            } else {
                LSTMLayer.backwardStep(
                    gates: &gates, previousCell: row.previousCell, cell: cell, upstream: row.upstream,
                    carriedHidden: row.carriedHidden, carriedCell: &carriedCell, peepholes: peepholes, size: size)
            }
        }
        return Results(
            activations: activations, cell: cell, output: output, gateGradients: gates,
            previousCellGradient: carriedCell)
    }

    static let options = [(false, false), (true, false), (false, true), (true, true)]

    /// The twins agree to 1e-5 relative plus 1e-6 absolute: the same arithmetic, with the C
    /// kernel's own exp and tanh in place of the C library's.
    @Test(arguments: PackedMatrix.InstructionSet.supported, options)
    func theKernelComputesThePlainSteps(instructionSet: PackedMatrix.InstructionSet, options: (Bool, Bool)) {
        let row = Row(peephole: options.0, split: options.1)
        let expected = Self.run(row, on: nil)
        let actual = Self.run(row, on: instructionSet)
        func expectClose(_ actual: [Float], _ expected: [Float], _ what: String) {
            #expect(actual.count == expected.count)
            for (index, (a, e)) in zip(actual, expected).enumerated() {
                #expect(abs(a - e) <= 1e-5 * abs(e) + 1e-6, "\(instructionSet) \(what)[\(index)]: \(a), plain \(e)")
            }
        }
        expectClose(actual.activations, expected.activations, "activations")
        expectClose(actual.cell, expected.cell, "cell")
        expectClose(actual.output, expected.output, "output")
        expectClose(actual.gateGradients, expected.gateGradients, "gate gradients")
        expectClose(actual.previousCellGradient, expected.previousCellGradient, "previous cell gradient")
    }

    /// With the loss `L = Σ (upstream + carriedHidden) ⊙ h_t + Σ carriedCell ⊙ c_t`, the
    /// plain backward's `dG` and `dc_{t−1}` are L's derivatives by the pre-activations and by
    /// `c_{t−1}`: central differences with step 1e-3, to 1e-3 relative plus 1e-3 absolute.
    @Test(arguments: options)
    func thePlainBackwardIsTheGradientOfThePlainForward(options: (Bool, Bool)) {
        let row = Row(peephole: options.0, split: options.1)
        let analytic = Self.run(row, on: nil)
        func loss(_ row: Row) -> Double {
            let results = Self.run(row, on: nil)
            var sum = 0.0
            for j in 0..<Self.size {
                sum += Double(row.upstream[j] + row.carriedHidden[j]) * Double(results.output[j])
                sum += Double(row.carriedCell[j]) * Double(results.cell[j])
            }
            return sum
        }
        func numeric(_ change: (inout Row, Float) -> Void) -> Float {
            let step: Float = 1e-3
            var plus = row, minus = row
            change(&plus, step)
            change(&minus, -step)
            return Float((loss(plus) - loss(minus)) / (2 * Double(step)))
        }
        func expectClose(_ analytic: Float, _ numeric: Float, _ what: String) {
            #expect(abs(analytic - numeric) <= 1e-3 * abs(numeric) + 1e-3, "\(what): analytic \(analytic), numeric \(numeric)")
        }
        for index in 0..<(4 * Self.size) {
            expectClose(analytic.gateGradients[index], numeric { $0.gates[index] += $1 }, "dG[\(index)]")
        }
        for j in 0..<Self.size {
            expectClose(analytic.previousCellGradient[j], numeric { $0.previousCell[j] += $1 }, "dc_{t−1}[\(j)]")
        }
    }
}
