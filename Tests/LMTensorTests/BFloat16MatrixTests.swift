import Testing

@testable import LMTensor

/// bfloat16 weights: rounding to nearest with ties to even, the matrix-vector product on
/// every instruction set this CPU supports, and products of several rows on both routes
/// (AVX512_BF16 pair products where the CPU has them, Float32 otherwise), each against the
/// Float64 reference computed with rounded inputs and weights, over shapes around the
/// kernels' row and column blocks.
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

    /// Rounding sixteen at a time (vector registers) gives what rounding one by one does,
    /// ties, NaN and infinities included.
    @Test func roundingInBulkMatchesRoundingOneByOne() {
        var generator = RandomGenerator(seed: 8)
        let ulp: Float = 1.0 / 128
        var values = (0..<997).map { _ in generator.nextUniform(in: -3, 3) }
        values += [1 + ulp / 2, 1 + 3 * ulp / 2, .greatestFiniteMagnitude, .infinity, -.infinity, .nan, 0, -0.0]
        let bulk = Self.rounded(values)
        let single = values.map { Self.rounded([$0])[0] }
        for (index, (a, b)) in zip(bulk, single).enumerated() {
            #expect(a.bitPattern == b.bitPattern, "element \(index): \(values[index]) → \(a) and \(b)")
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
                transposeB: true, m: 1, n: rows, k: columns, a: Self.rounded(x), b: Self.rounded(weights), beta: beta,
                c: &expected)
            var actual = start
            matrix.multiply(x, beta: beta, into: &actual)
            let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5 * Float(columns), "\(instructionSet) \(shape) beta \(beta)")
        }
    }

    /// Output rows by input columns of the weight, and the product's rows: odd depths (a
    /// pair padded), widths off the 32-column tiles, row counts around the 12-row strips.
    static let productShapes = [(2, 1, 2), (7, 3, 5), (33, 17, 12), (65, 64, 13), (100, 511, 50), (2048, 512, 24)]

    @Test(arguments: [true, false], productShapes)
    func productsOfSeveralRowsMatchTheReferenceWithRoundedOperands(pairProducts: Bool, shape: (Int, Int, Int)) {
        let (rows, columns, m) = shape
        var generator = RandomGenerator(seed: UInt64(rows * 7 + columns * 3 + m))
        let weights = (0..<(rows * columns)).map { _ in generator.nextUniform(in: -1, 1) }
        let (lda, ldc) = (columns + 3, rows + 5)
        let a = (0..<(m * lda)).map { _ in generator.nextUniform(in: -1, 1) }
        let matrix = weights.withUnsafeBufferPointer {
            BFloat16Matrix($0.baseAddress!, rows: rows, columns: columns, pairProducts: pairProducts)
        }
        var packedA = [Float](repeating: 0, count: m * columns)
        for row in 0..<m {
            for column in 0..<columns { packedA[row * columns + column] = a[row * lda + column] }
        }
        for beta: Float in [0, 1] {
            let start = (0..<(m * ldc)).map { _ in beta == 0 ? Float.nan : generator.nextUniform(in: -1, 1) }
            var expected = [Float](repeating: 0, count: m * rows)
            for row in 0..<m where beta != 0 {
                for column in 0..<rows { expected[row * rows + column] = start[row * ldc + column] }
            }
            MatrixMultiply.reference(
                transposeB: true, m: m, n: rows, k: columns, a: Self.rounded(packedA), b: Self.rounded(weights),
                beta: beta, c: &expected)
            var actual = start
            matrix.multiply(a, rows: m, lda: lda, beta: beta, into: &actual, ldc: ldc)
            var worst: Float = 0
            for row in 0..<m {
                for column in 0..<rows { worst = max(worst, abs(actual[row * ldc + column] - expected[row * rows + column])) }
                for column in rows..<ldc {
                    #expect(actual[row * ldc + column].bitPattern == start[row * ldc + column].bitPattern, "padding kept")
                }
            }
            #expect(worst <= 1e-5 * Float(columns), "\(shape) pairs \(pairProducts) beta \(beta): \(worst)")
        }
    }

    /// A copy made from a transposed source, then overwritten with other values after its
    /// tiles were packed (as training remakes its copies every window): every product, of
    /// one row and of several, runs on the values last assigned.
    @Test(arguments: [true, false], [(3, 5, 2), (33, 17, 12), (512, 2048, 50)])
    func reassignedTransposedCopiesMultiplyByTheirLatestValues(pairProducts: Bool, shape: (Int, Int, Int)) {
        let (rows, columns, m) = shape
        var generator = RandomGenerator(seed: UInt64(rows + columns * 5 + m))
        let a = (0..<(m * columns)).map { _ in generator.nextUniform(in: -1, 1) }
        // The copy is [rows, columns]; its sources are [columns, rows].
        let first = (0..<(rows * columns)).map { _ in generator.nextUniform(in: -1, 1) }
        let second = (0..<(rows * columns)).map { _ in generator.nextUniform(in: -1, 1) }
        let matrix = BFloat16Matrix(first, rows: rows, columns: columns, transposed: true, pairProducts: pairProducts)
        for source in [first, second] {
            if source == second { matrix.assign(second, transposed: true) }
            var transposed = [Float](repeating: 0, count: rows * columns)
            for i in 0..<columns {
                for j in 0..<rows { transposed[j * columns + i] = source[i * rows + j] }
            }
            var expected = [Float](repeating: 0, count: m * rows)
            MatrixMultiply.reference(
                transposeB: true, m: m, n: rows, k: columns, a: Self.rounded(a), b: Self.rounded(transposed), beta: 0,
                c: &expected)
            var actual = [Float](repeating: .nan, count: m * rows)
            matrix.multiply(a, rows: m, beta: 0, into: &actual)
            let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-5 * Float(columns), "\(shape) pairs \(pairProducts): \(worst)")
            var single = [Float](repeating: .nan, count: rows)
            matrix.multiply(Array(a[0..<columns]), beta: 0, into: &single)
            let worstSingle = zip(single, expected[0..<rows]).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worstSingle <= 1e-5 * Float(columns), "\(shape) one row: \(worstSingle)")
        }
    }
}
