import Testing

@testable import LMTensor

/// bfloat16 weights: rounding to nearest with ties to even, and the matrix-vector product
/// on every instruction set this CPU supports against the Float64 reference computed with
/// the rounded weights, over shapes around the kernels' 4-row and 8/16/32-column blocks.
@Suite struct BFloat16MatrixTests {
    static func rounded(_ values: [Float]) -> [Float] {
        var values = values
        values.withUnsafeMutableBufferPointer { BFloat16Matrix.round($0) }
        return values
    }

    @Test func roundsToNearestWithTiesToEven() {
        let ulp: Float = 1.0 / 128  // bfloat16 keeps 8 significant bits: 1 + 2⁻⁷ follows 1
        #expect(Self.rounded([1, -2.5, 0, -0.0]) == [1, -2.5, 0, -0.0])
        #expect(Self.rounded([1 + ulp / 2]) == [1])  // tie: to the even neighbour, 1
        #expect(Self.rounded([1 + 3 * ulp / 2]) == [1 + 2 * ulp])  // tie: to the even neighbour above
        #expect(Self.rounded([1 + ulp / 2 + ulp / 64]) == [1 + ulp])  // above the tie: up
        #expect(Self.rounded([Float.greatestFiniteMagnitude]) == [Float.infinity])
        #expect(Self.rounded([Float.infinity, -Float.infinity]) == [Float.infinity, -Float.infinity])
        #expect(Self.rounded([Float.nan])[0].isNaN)
    }

    @Test func roundingIsWithinHalfAUnitInTheLastPlace() {
        var generator = RandomGenerator(seed: 5)
        let values = (0..<10_000).map { _ in generator.nextUniform(in: -3, 3) }
        for (value, reduced) in zip(values, Self.rounded(values)) {
            #expect(abs(reduced - value) <= abs(value) / 256, "\(value) → \(reduced)")
        }
    }

    // (5, 5000): wider than the AVX2 kernel's 4096-column slices.
    static let shapes = [(1, 1), (3, 7), (4, 8), (5, 17), (9, 33), (6, 47), (37, 650), (5, 5000), (2600, 650), (10_000, 200)]

    @Test(arguments: PackedMatrix.InstructionSet.supported, shapes)
    func productMatchesTheReferenceWithRoundedWeights(instructionSet: PackedMatrix.InstructionSet, shape: (Int, Int)) {
        let (rows, columns) = shape
        var generator = RandomGenerator(seed: UInt64(rows * 1000 + columns))
        let weights = (0..<(rows * columns)).map { _ in generator.nextUniform(in: -1, 1) }
        let x = (0..<columns).map { _ in generator.nextUniform(in: -1, 1) }
        let matrix = weights.withUnsafeBufferPointer {
            BFloat16Matrix($0.baseAddress!, rows: rows, columns: columns, instructionSet: instructionSet)
        }
        for beta: Float in [0, 1] {
            let start = (0..<rows).map { _ in beta == 0 ? Float.nan : generator.nextUniform(in: -1, 1) }
            var expected = beta == 0 ? [Float](repeating: 0, count: rows) : start
            MatrixMultiply.reference(
                transposeB: true, m: 1, n: rows, k: columns, a: x, b: Self.rounded(weights), beta: beta, c: &expected)
            var actual = start
            matrix.multiply(x, beta: beta, into: &actual)
            let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * Float(columns), "\(instructionSet) \(shape) beta \(beta)")
        }
    }
}
