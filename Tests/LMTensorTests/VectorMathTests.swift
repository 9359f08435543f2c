import CCPU
import CElementwiseKernels
import Foundation
import Testing

@testable import LMTensor

/// `vector_math.h`'s kernels on every instruction set this CPU has, against Foundation in
/// Float64: lengths that leave a partial block of 16, arguments across the polynomial,
/// exponential and saturated ranges, and NaN. Tolerance 2e-6 relative plus 1e-7 absolute
/// for the non-linearities, 1e-6 relative for the sums.
@Suite struct VectorMathTests {
    static let inputs: [Float] =
        stride(from: -30.0, through: 30.0, by: 0.0137).map(Float.init) + [0, -0, 1e-6, -1e-6, 88, -88, 200, -200]

    private func check(
        _ instructionSet: PackedMatrix.InstructionSet,
        _ kernel: (ccpu_isa, UnsafeMutablePointer<Float>, Int) -> Void, _ reference: (Double) -> Double
    ) {
        var values = Self.inputs
        values.withUnsafeMutableBufferPointer { kernel(instructionSet.cValue, $0.baseAddress!, $0.count) }
        for (input, output) in zip(Self.inputs, values) {
            let expected = reference(Double(input))
            #expect(abs(Double(output) - expected) <= 2e-6 * abs(expected) + 1e-7, "\(instructionSet) at \(input)")
        }
        var nan: [Float] = [.nan, 1, 2]
        nan.withUnsafeMutableBufferPointer { kernel(instructionSet.cValue, $0.baseAddress!, $0.count) }
        #expect(nan[0].isNaN, "\(instructionSet): NaN must stay NaN")
    }

    @Test(arguments: PackedMatrix.InstructionSet.supported)
    func sigmoid(instructionSet: PackedMatrix.InstructionSet) {
        check(instructionSet, vector_sigmoid) { 1 / (1 + Foundation.exp(-$0)) }
    }

    @Test(arguments: PackedMatrix.InstructionSet.supported)
    func tanh(instructionSet: PackedMatrix.InstructionSet) {
        check(instructionSet, vector_tanh) { Foundation.tanh($0) }
    }

    @Test(arguments: PackedMatrix.InstructionSet.supported)
    func scale(instructionSet: PackedMatrix.InstructionSet) {
        check(instructionSet, { vector_scale($0, $1, $2, -0.5) }) { -0.5 * $0 }
    }

    @Test(arguments: PackedMatrix.InstructionSet.supported)
    func add(instructionSet: PackedMatrix.InstructionSet) {
        var sums = Self.inputs
        let addend = Self.inputs.map { $0 * 0.25 - 1 }
        vector_add(instructionSet.cValue, &sums, addend, sums.count)
        #expect(sums == zip(Self.inputs, addend).map { $0 + $1 }, "\(instructionSet)")
    }

    @Test(arguments: PackedMatrix.InstructionSet.supported, [1, 15, 16, 17, 1000])
    func maximumAndSumsOfExponentials(instructionSet: PackedMatrix.InstructionSet, count: Int) {
        var generator = RandomGenerator(seed: UInt64(count))
        let values = (0..<count).map { _ in 6 * generator.nextNormal() }
        let isa = instructionSet.cValue
        let maximum = vector_maximum(isa, values, count)
        #expect(maximum == values.max()!)
        let expected = values.reduce(0.0) { $0 + Foundation.exp(Double($1 - maximum) * 0.5) }
        #expect(abs(vector_sum_exp(isa, values, count, maximum, 0.5) - expected) <= 1e-6 * expected)
        var row = values
        let sum = vector_exponentiate(isa, &row, count, maximum)
        for (exponentiated, value) in zip(row, values) {
            let reference = Foundation.exp(Double(value - maximum))
            #expect(abs(Double(exponentiated) - reference) <= 2e-6 * reference + 1e-30)
        }
        #expect(abs(sum - row.reduce(0.0) { $0 + Double($1) }) <= 1e-6 * sum)
        #expect(vector_maximum(isa, values, 0) == -.infinity)
        #expect(vector_maximum(isa, [.nan, 3, 1], 3) == 3)
    }
}
