import Testing

@testable import LMTensor

/// The packed recurrent-step product against the Float64 reference, on every instruction
/// set this CPU supports: odd shapes around the micro-tiles (12 x 32, 6 x 16, 4 x 16),
/// both storage orders of B, beta = 1 (accumulate) and beta = 0 over a C full of NaN (which
/// must be ignored), rows cut into strips of even height, and a product large enough to be split between threads. Tolerance:
/// 1e-5·k, as for ``MatrixMultiply``. The product reading A in place
/// (``PackedMatrix/multiplyDirect(_:rows:lda:beta:into:ldc:)``) gives the packed product's
/// every bit, also for a tall A (300 rows) against more tiles than one pass takes. The tall
/// product (``PackedMatrix/multiplyTall(_:rows:lda:beta:into:ldc:)``) matches the
/// reference too, and gives the same bits with its rows cut in two calls.
@Suite struct PackedMatrixTests {
    static let shapes = [
        (1, 1, 1), (5, 15, 7), (6, 16, 64), (7, 17, 3), (12, 32, 9), (13, 33, 65), (20, 50, 19), (2, 100, 650),
        (20, 2600, 650),  // the 2x650 LSTM's step: split between threads
        (50, 70, 33),  // the character LSTM's batch: rows in strips of even height (5 x 10 on AVX-512)
        (300, 350, 37),  // a decoder block against a window's hidden states: 11 tiles, two passes
        (250, 70, 600),  // a window's rows against a weight: the tall product's row blocks, depth in two parts
    ]

    @Test(arguments: PackedMatrix.InstructionSet.supported, shapes)
    func matchesTheReference(instructionSet: PackedMatrix.InstructionSet, shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var generator = RandomGenerator(seed: UInt64(m * 10_000 + n * 100 + k))
        let packed = PackedMatrix(instructionSet: instructionSet)
        for transposed in [false, true] {
            let a = (0..<(m * k)).map { _ in generator.nextUniform(in: -1, 1) }
            let b = (0..<(k * n)).map { _ in generator.nextUniform(in: -1, 1) }
            packed.pack(b, rows: k, columns: n, transposed: transposed)
            for beta: Float in [0, 1] {
                let start = (0..<(m * n)).map { _ in beta == 0 ? Float.nan : generator.nextUniform(in: -1, 1) }
                var expected = beta == 0 ? [Float](repeating: 0, count: m * n) : start
                MatrixMultiply.reference(transposeB: transposed, m: m, n: n, k: k, a: a, b: b, beta: beta, c: &expected)
                var actual = start
                packed.multiply(a, rows: m, beta: beta, into: &actual)
                let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-5 * Float(k), "\(instructionSet) \(shape) transposed \(transposed) beta \(beta)")
                var direct = start
                packed.multiplyDirect(a, rows: m, beta: beta, into: &direct)
                #expect(direct == actual, "\(instructionSet) \(shape) transposed \(transposed) beta \(beta): A in place")
                var tall = start
                packed.multiplyTall(a, rows: m, beta: beta, into: &tall)
                let worstTall = zip(tall, expected).map { abs($0 - $1) }.max() ?? 0
                #expect(worstTall <= 1e-5 * Float(k), "\(instructionSet) \(shape) transposed \(transposed) beta \(beta): tall")
                let pieces = tallProductInTwoCalls(packed, a, rows: m, cut: m / 3, beta: beta, onto: start)
                #expect(pieces == tall, "\(instructionSet) \(shape) transposed \(transposed) beta \(beta): tall, cut")
            }
        }
    }

    /// ``PackedMatrix/multiplyTall(_:rows:lda:beta:into:ldc:)`` on rows `0..<cut` and
    /// `cut..<m` in two calls, as threads cut them.
    private func tallProductInTwoCalls(
        _ packed: PackedMatrix, _ a: [Float], rows m: Int, cut: Int, beta: Float, onto start: [Float]
    ) -> [Float] {
        var c = start
        a.withUnsafeBufferPointer { a in
            c.withUnsafeMutableBufferPointer { c in
                let (a, c, k, n) = (a.baseAddress!, c.baseAddress!, packed.rows, packed.columns)
                packed.multiplyTall(a, rows: cut, beta: beta, into: c)
                packed.multiplyTall(a + cut * k, rows: m - cut, beta: beta, into: c + cut * n)
            }
        }
        return c
    }

    /// Row strides longer than the rows: A and C as column blocks of wider matrices.
    @Test(arguments: PackedMatrix.InstructionSet.supported)
    func honoursLeadingDimensions(instructionSet: PackedMatrix.InstructionSet) {
        let (m, n, k, lda, ldc) = (7, 35, 9, 12, 40)
        var generator = RandomGenerator(seed: 3)
        let a = (0..<(m * lda)).map { _ in generator.nextUniform(in: -1, 1) }
        let b = (0..<(k * n)).map { _ in generator.nextUniform(in: -1, 1) }
        let packed = PackedMatrix(instructionSet: instructionSet)
        packed.pack(b, rows: k, columns: n, transposed: false)
        var c = [Float](repeating: 7, count: m * ldc)
        packed.multiply(a, rows: m, lda: lda, beta: 0, into: &c, ldc: ldc)
        for row in 0..<m {
            for column in 0..<ldc {
                let value = c[row * ldc + column]
                if column >= n {
                    #expect(value == 7, "wrote outside C's rows at \(row), \(column)")
                    continue
                }
                let expected = (0..<k).reduce(0.0) { $0 + Double(a[row * lda + $1]) * Double(b[$1 * n + column]) }
                #expect(abs(Double(value) - expected) <= 1e-5 * Double(k))
            }
        }
    }

    /// Matrices sharing one storage take turns: the last one packed is the one held, and
    /// an overwritten one reads as not packed (its layer packs again before its steps).
    @Test func sharedStorageHoldsTheLastPackedMatrix() {
        let storage = PackedMatrix.Storage()
        let (first, second) = (PackedMatrix(storage: storage), PackedMatrix(storage: storage))
        let b: [Float] = [1, 2, 3, 4, 5, 6]
        first.pack(b, rows: 2, columns: 3, transposed: false)
        #expect(first.isPacked && !second.isPacked)
        second.pack(b.map { -$0 }, rows: 3, columns: 2, transposed: false)
        #expect(!first.isPacked && second.isPacked)
        var c = [Float](repeating: 0, count: 2)
        second.multiply([1, 0, 0], rows: 1, beta: 0, into: &c)
        #expect(c == [-1, -2])
    }
}
