import Testing

@testable import LMTensor

/// ``MatrixMultiply/gemm`` on every engine (OpenBLAS, and the blocked kernel on each
/// vector instruction set this CPU has) against the Float64 reference, for every
/// transpose combination and odd shapes, with accumulation (beta = 1). Tolerance: 1e-5
/// relative to the row's magnitude (sums of k products of values in [-1, 1]).
@Suite struct MatrixMultiplyTests {
    /// Odd sizes; m = 1 takes the matrix-vector path. From 2¹⁷ multiply-adds a product is
    /// cut between threads: by columns (35 × 129 × 65, and the matrix-vector product
    /// 1 × 3001 × 50) or by rows (301 × 40 × 21, and 4200 × 3 × 11, which OpenBLAS gets
    /// in slices of 2048 rows).
    static let shapes = [
        (1, 1, 1), (3, 5, 7), (20, 33, 17), (35, 129, 65), (7, 1, 300), (1, 37, 19), (1, 1000, 65), (1, 3001, 50),
        (301, 40, 21), (4200, 3, 11),
    ]

    static let engines: [MatrixMultiply.Engine] =
        [.openBLAS] + PackedMatrix.InstructionSet.supported.filter { $0 != .portable }.map { .blocked($0) }

    @Test(arguments: engines, shapes)
    func matchesTheReference(engine: MatrixMultiply.Engine, shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var generator = RandomGenerator(seed: UInt64(m * 10_000 + n * 100 + k))
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let a = (0..<(m * k)).map { _ in generator.nextUniform(in: -1, 1) }
                let b = (0..<(k * n)).map { _ in generator.nextUniform(in: -1, 1) }
                let start = (0..<(m * n)).map { _ in generator.nextUniform(in: -1, 1) }
                var expected = start
                MatrixMultiply.reference(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: a, b: b, beta: 1,
                    c: &expected)
                var actual = start
                MatrixMultiply.gemm(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5, a: a, b: b, beta: 1,
                    c: &actual, engine: engine)
                let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-5 * Float(k), "\(engine) \(shape) tA \(transposeA) tB \(transposeB)")
            }
        }
    }
}
