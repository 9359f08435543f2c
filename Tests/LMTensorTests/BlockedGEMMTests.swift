import CCPU
import CMatrixProducts
import Testing

@testable import LMTensor

/// `blocked_gemm` against the Float64 reference on every instruction set this CPU has:
/// shapes around the micro-tiles (12 x 32, 6 x 16, 4 x 16) and across the cache blocks'
/// edges (240 rows, 256 deep, 2048 columns), all four transpositions, alpha ≠ 1, beta = 1
/// and beta = 0 over a C full of NaN. Tolerance 1e-5·k, as for ``MatrixMultiply``.
@Suite struct BlockedGEMMTests {
    static let shapes = [
        (1, 1, 1), (2, 3, 5), (12, 32, 256), (13, 33, 257), (5, 17, 600), (250, 40, 20), (3, 2050, 7),
    ]

    private static func product(
        _ instructionSet: PackedMatrix.InstructionSet, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: [Float], b: [Float], beta: Float, c: inout [Float], rows: Range<Int>? = nil
    ) {
        let rows = rows ?? 0..<m
        let (lda, ldb) = (transposeA ? m : k, transposeB ? k : n)
        let aOffset = transposeA ? rows.lowerBound : rows.lowerBound * lda
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    blocked_gemm(
                        ccpu_isa(rawValue: UInt32(instructionSet.rawValue)), rows.count, n, k, alpha,
                        a.baseAddress! + aOffset, transposeA ? 1 : lda, transposeA ? lda : 1,
                        b.baseAddress!, transposeB ? 1 : ldb, transposeB ? ldb : 1, beta,
                        c.baseAddress! + rows.lowerBound * n, n)
                }
            }
        }
    }

    @Test(arguments: PackedMatrix.InstructionSet.supported, shapes)
    func matchesTheReference(instructionSet: PackedMatrix.InstructionSet, shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var generator = RandomGenerator(seed: UInt64(m * 10_000 + n * 100 + k))
        for (transposeA, transposeB) in [(false, false), (false, true), (true, false), (true, true)] {
            let a = (0..<(m * k)).map { _ in generator.nextUniform(in: -1, 1) }
            let b = (0..<(k * n)).map { _ in generator.nextUniform(in: -1, 1) }
            for beta: Float in [0, 1] {
                let start = (0..<(m * n)).map { _ in beta == 0 ? Float.nan : generator.nextUniform(in: -1, 1) }
                var expected = beta == 0 ? [Float](repeating: 0, count: m * n) : start
                MatrixMultiply.reference(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: a, b: b,
                    beta: beta, c: &expected)
                var actual = start
                Self.product(
                    instructionSet, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                    a: a, b: b, beta: beta, c: &actual)
                let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-5 * Float(k), "\(instructionSet) \(shape) tA \(transposeA) tB \(transposeB) beta \(beta)")
            }
        }
    }

    /// Splitting C into blocks of rows (one per thread, as ``MatrixMultiply`` does) gives
    /// bit-identical results: a model's training does not depend on the thread count.
    @Test(arguments: PackedMatrix.InstructionSet.supported)
    func blocksOfRowsGiveIdenticalResults(instructionSet: PackedMatrix.InstructionSet) {
        let (m, n, k) = (37, 45, 300)
        var generator = RandomGenerator(seed: 7)
        let a = (0..<(m * k)).map { _ in generator.nextUniform(in: -1, 1) }
        let b = (0..<(k * n)).map { _ in generator.nextUniform(in: -1, 1) }
        var whole = [Float](repeating: 0, count: m * n)
        Self.product(
            instructionSet, transposeA: true, transposeB: false, m: m, n: n, k: k, alpha: 1, a: a, b: b, beta: 0,
            c: &whole)
        var pieces = [Float](repeating: 0, count: m * n)
        for rows in [0..<5, 5..<18, 18..<37] {
            Self.product(
                instructionSet, transposeA: true, transposeB: false, m: m, n: n, k: k, alpha: 1, a: a, b: b, beta: 0,
                c: &pieces, rows: rows)
        }
        #expect(whole == pieces)
    }

    /// Operands with neither stride 1 (every other element of a wider matrix), the general
    /// case the header allows, beside the row-major and transposed ones the layers use.
    @Test(arguments: PackedMatrix.InstructionSet.supported)
    func stridedOperandsMatchTheReference(instructionSet: PackedMatrix.InstructionSet) {
        let (m, n, k) = (13, 35, 20)
        var generator = RandomGenerator(seed: 11)
        let a = (0..<(m * k)).map { _ in generator.nextUniform(in: -1, 1) }
        let b = (0..<(k * n)).map { _ in generator.nextUniform(in: -1, 1) }
        // A and B spread out: element (i, p) of A at 2·(i·k + p), element (p, j) of B at 2·(p·n + j).
        let spreadA = a.flatMap { [$0, .nan] }
        let spreadB = b.flatMap { [$0, .nan] }
        var expected = [Float](repeating: 0, count: m * n)
        MatrixMultiply.reference(m: m, n: n, k: k, a: a, b: b, c: &expected)
        var actual = [Float](repeating: .nan, count: m * n)
        blocked_gemm(
            instructionSet.cValue, m, n, k, 1, spreadA, 2 * k, 2, spreadB, 2 * n, 2, 0, &actual, n)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? .nan
        #expect(worst <= 1e-5 * Float(k), "\(instructionSet)")
    }
}
