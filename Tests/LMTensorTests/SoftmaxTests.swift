import Foundation
import Testing

@testable import LMTensor

/// The vectorised softmax pieces against plain Float64 loops, on rows whose lengths are
/// not multiples of 16 (the padded tail must add nothing).
@Suite struct SoftmaxTests {
    static func row(_ count: Int, seed: UInt64) -> [Float] {
        var generator = RandomGenerator(seed: seed)
        return (0..<count).map { _ in 6 * generator.nextNormal() }
    }

    @Test(arguments: [1, 15, 16, 17, 1000])
    func maximumAndLogSumExpMatchPlainLoops(count: Int) {
        let values = Self.row(count, seed: UInt64(count))
        let maximum = values.max()!
        let expected = Double(maximum) + log(values.reduce(0.0) { $0 + exp(Double($1 - maximum)) })
        values.withUnsafeBufferPointer { row in
            #expect(Softmax.maximum(row) == maximum)
            #expect(abs(Softmax.logSumExp(row) - expected) <= 1e-5 * max(1, abs(expected)))
        }
    }

    @Test(arguments: [1, 15, 16, 17, 1000])
    func exponentiateReplacesValuesAndReturnsTheirSum(count: Int) {
        let values = Self.row(count, seed: UInt64(count) + 7)
        let shift = values.max()!
        var row = values
        let sum = row.withUnsafeMutableBufferPointer { Softmax.exponentiate($0, shift: shift) }
        for (exponentiated, value) in zip(row, values) {
            let expected = exp(Double(value - shift))
            #expect(abs(Double(exponentiated) - expected) <= 2e-6 * expected + 1e-30)
        }
        #expect(abs(sum - row.reduce(0.0) { $0 + Double($1) }) <= 1e-6 * sum)
    }

    @Test(arguments: [17, 1000])
    func firstIndexIsTheInverseCDF(count: Int) {
        let values = Self.row(count, seed: 9)
        let maximum = values.max()!
        let weights = values.map { exp(Double($0 - maximum) * 2) }
        let total = weights.reduce(0, +)
        for fraction in [0.0, 0.1, 0.5, 0.9, 0.999_999] {
            var cumulative = 0.0
            let expected = weights.indices.first { cumulative += weights[$0]; return cumulative > fraction * total } ?? count - 1
            let actual = values.withUnsafeBufferPointer {
                Softmax.firstIndex(whereCumulativeExponentialsExceed: fraction * total, in: $0, shift: maximum, scale: 2)
            }
            #expect(abs(actual - expected) <= 1, "fraction \(fraction)")  // ±1 for Float32 weights at a boundary
            #expect(weights[actual] > 0)
        }
    }

    /// The log-sum-exp down columns against Float64 loops: column counts around the 16
    /// lanes, one row and many.
    @Test(arguments: [(1, 1), (5, 17), (3, 16), (128, 350)])
    func columnLogSumExpMatchesPlainLoops(shape: (Int, Int)) {
        let (rows, columns) = shape
        let values = Self.row(rows * columns, seed: UInt64(rows * 1000 + columns))
        var maxima = [Float](repeating: .nan, count: columns)
        var sums = [Double](repeating: .nan, count: columns)
        Softmax.columnLogSumExp(values, rows: rows, columns: columns, maxima: &maxima, sums: &sums)
        for column in 0..<columns {
            let entries = (0..<rows).map { values[$0 * columns + column] }
            let maximum = entries.max()!
            let sum = entries.reduce(0.0) { $0 + exp(Double($1 - maximum)) }
            #expect(maxima[column] == maximum, "column \(column)")
            #expect(abs(sums[column] - sum) <= 1e-6 * sum, "column \(column): \(sums[column]) against \(sum)")
        }
    }
}
