import LMTensor
import Testing

@testable import LMNetwork

@Suite struct RowSparseGradientTests {
    /// Adds random rows into a sparse gradient and into a dense `[V, E]` array alike.
    static func accumulate(ids: [Int], width: Int, rowCount: Int) -> (RowSparseGradient, [Float]) {
        var generator = RandomGenerator(seed: 7)
        let sparse = RowSparseGradient(rowCount: rowCount, rowWidth: width)
        var dense = [Float](repeating: 0, count: rowCount * width)
        for id in ids {
            let source = (0..<width).map { _ in generator.nextUniform(in: -1, 1) }
            source.withUnsafeBufferPointer { sparse.add(row: id, $0.baseAddress!) }
            for column in 0..<width { dense[id * width + column] += source[column] }
        }
        return (sparse, dense)
    }

    @Test func holdsExactlyWhatADenseGradientWould() {
        // 300 additions over 150 distinct rows: the storage grows past its first 64 slots.
        let ids = (0..<300).map { ($0 * 37) % 150 + ($0 % 3 == 0 ? 200 : 0) }
        let (sparse, dense) = Self.accumulate(ids: ids, width: 5, rowCount: 400)
        #expect(sparse.denseValues == dense)
        #expect(Set(sparse.rows).count == sparse.rows.count)
        #expect(Set(sparse.rows.map(Int.init)) == Set(ids))
        #expect(sparse.storedValues.count == Set(ids).count * 5)
    }

    @Test func untouchedRowsReadAsZeros() {
        let (sparse, _) = Self.accumulate(ids: [3], width: 4, rowCount: 10)
        #expect(Array(UnsafeBufferPointer(start: sparse.row(2), count: 4)) == [0, 0, 0, 0])
        #expect(Array(UnsafeBufferPointer(start: sparse.row(3), count: 4)) != [0, 0, 0, 0])
    }

    @Test func zeroForgetsEveryRow() {
        let (sparse, _) = Self.accumulate(ids: [1, 4, 1, 9], width: 3, rowCount: 10)
        sparse.zero()
        #expect(sparse.rows.isEmpty && sparse.denseValues.allSatisfy { $0 == 0 })
        let one: [Float] = [1, 2, 3]
        one.withUnsafeBufferPointer { sparse.add(row: 4, $0.baseAddress!) }
        #expect(sparse.rows == [4] && Array(sparse.storedValues) == one)
    }

    @Test func parameterNormMatchesTheDenseGradient() {
        let ids = [5, 2, 5, 7, 0]
        let (_, dense) = Self.accumulate(ids: ids, width: 6, rowCount: 8)
        let parameter = Parameter(name: "encoder.weight", shape: [8, 6], rowSparseGradient: true)
        var generator = RandomGenerator(seed: 7)
        for id in ids {
            let source = (0..<6).map { _ in generator.nextUniform(in: -1, 1) }
            source.withUnsafeBufferPointer { parameter.rowGradient!.add(row: id, $0.baseAddress!) }
        }
        let expected = dense.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(parameter.gradientSumOfSquares() - expected) < 1e-6 * expected)  // Float32 lanes inside
    }
}
