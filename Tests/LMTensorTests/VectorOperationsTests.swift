import Testing

@testable import LMTensor

/// Long-vector reductions and updates (split into blocks between threads) against plain
/// loops, at lengths around the block size and the 16-lane width.
@Suite struct VectorOperationsTests {
    static let lengths = [0, 1, 17, 1024, VectorOperations.blockSize + 5, 3 * VectorOperations.blockSize + 1]

    @Test(arguments: lengths)
    func sumOfSquaresMatchesAFloat64Loop(count: Int) {
        var generator = RandomGenerator(seed: UInt64(count))
        let values = (0..<count).map { _ in generator.nextUniform(in: -2, 2) }
        let expected = values.reduce(0.0) { $0 + Double($1) * Double($1) }
        let actual = values.withUnsafeBufferPointer(VectorOperations.sumOfSquares)
        #expect(abs(actual - expected) <= 1e-6 * max(1, expected))
    }

    @Test(arguments: lengths)
    func copyCopiesEveryElement(count: Int) {
        var generator = RandomGenerator(seed: UInt64(count) + 2)
        let values = (0..<count).map { _ in generator.nextUniform(in: -2, 2) }
        var copied = [Float](repeating: .nan, count: count + 1)
        copied.withUnsafeMutableBufferPointer { VectorOperations.copy(values, to: $0.baseAddress!, count: count) }
        #expect(Array(copied.prefix(count)) == values)
        #expect(copied[count].isNaN, "nothing written past the end")
    }

    @Test(arguments: lengths)
    func zeroClearsEveryElement(count: Int) {
        var values = [Float](repeating: .nan, count: count + 1)
        values.withUnsafeMutableBufferPointer { VectorOperations.zero($0.baseAddress!, count: count) }
        #expect(values.prefix(count).allSatisfy { $0 == 0 })
        #expect(values[count].isNaN, "nothing written past the end")
    }

    /// Columns split between threads (the matrix is large enough) still sum every row,
    /// each exactly once, in row order: the result equals a plain loop's bit for bit.
    @Test(arguments: [(3, 5), (700, 1001), (40, 10_000)])
    func columnSumsMatchAPlainLoop(shape: (Int, Int)) {
        let (rows, columns) = shape
        var generator = RandomGenerator(seed: UInt64(rows * columns))
        let matrix = (0..<(rows * columns)).map { _ in generator.nextUniform(in: -1, 1) }
        let start = (0..<columns).map { _ in generator.nextUniform(in: -1, 1) }
        var expected = start
        for row in 0..<rows {
            for column in 0..<columns { expected[column] += matrix[row * columns + column] }
        }
        var actual = start
        RowOperations.accumulateColumnSums(of: matrix, rows: rows, columns: columns, into: &actual)
        #expect(actual == expected)
    }
}
