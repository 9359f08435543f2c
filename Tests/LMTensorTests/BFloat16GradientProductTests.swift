import Testing

@testable import LMTensor

/// The weight-gradient products of mixed-precision training, `c += round(a)ᵀ · round(b)`,
/// on both routes (AVX512_BF16 pairs where the CPU has them, Float32 otherwise) against the
/// Float64 reference with rounded operands: odd depths (a missing row of a pair), widths
/// off the 12-row strips and 32-column tiles, and one left operand meeting two right ones.
@Suite struct BFloat16GradientProductTests {
    /// (k, m, n): window rows, the left operand's columns, the right ones'.
    static let shapes = [(1, 1, 1), (3, 5, 7), (7, 13, 33), (64, 12, 32), (301, 100, 70)]

    @Test(arguments: [true, false], shapes)
    func productsMatchTheReferenceWithRoundedOperands(pairProducts: Bool, shape: (Int, Int, Int)) {
        let (k, m, n) = shape
        var generator = RandomGenerator(seed: UInt64(k * 31 + m * 7 + n))
        let a = (0..<(k * m)).map { _ in generator.nextUniform(in: -1, 1) }
        let product = BFloat16GradientProduct(pairProducts: pairProducts)
        product.setLeft(a, rows: k, columns: m)
        for right in 0..<2 {
            let width = n + right  // the second right operand one column wider
            let b = (0..<(k * width)).map { _ in generator.nextUniform(in: -1, 1) }
            let start = (0..<(m * width)).map { _ in generator.nextUniform(in: -1, 1) }
            var expected = start
            MatrixMultiply.reference(
                transposeA: true, m: m, n: width, k: k, a: BFloat16MatrixTests.rounded(a), b: BFloat16MatrixTests.rounded(b), beta: 1, c: &expected)
            var actual = start
            product.accumulate(b, columns: width, into: &actual)
            let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-5 * Float(k), "\(shape) pairs \(pairProducts) right \(right): \(worst)")
        }
    }
}
