import CElementwiseKernels
import Foundation

/// Softmax pieces over a row of logits, 16 lanes at a time: the maximum, sums of
/// `exp((x − shift) · scale)` accumulated in Float64 (these on the CPU's widest vectors,
/// through `CElementwiseKernels`' `vector_math.h`), and the inverse-CDF draw. Nothing is
/// allocated: a sampler or a loss computes weights on the fly.
package enum Softmax {
    package typealias Vector = Activations.Vector

    /// The largest value (−∞ for an empty row), NaN ignored.
    package static func maximum(_ values: UnsafeBufferPointer<Float>) -> Float {
        guard let base = values.baseAddress else { return -.infinity }
        return vector_maximum(Activations.kernels, base, values.count)
    }

    /// `exp((values[i..<i+16] − shift) · scale)`, lanes past the row's end set to 0.
    @inline(__always)
    static func weights(_ base: UnsafePointer<Float>, at index: Int, count: Int, shift: Float, scale: Float) -> Vector {
        if index + 16 <= count {
            return Activations.exp((UnsafeRawPointer(base + index).loadUnaligned(as: Vector.self) - shift) * scale)
        }
        var tail = Vector(repeating: shift)
        for lane in 0..<(count - index) { tail[lane] = base[index + lane] }
        var result = Activations.exp((tail - shift) * scale)
        for lane in (count - index)..<16 { result[lane] = 0 }
        return result
    }

    /// `Σ exp((x − shift) · scale)`, summed in Float64.
    package static func sumOfExponentials(_ values: UnsafeBufferPointer<Float>, shift: Float, scale: Float = 1) -> Double {
        guard let base = values.baseAddress else { return 0 }
        return vector_sum_exp(Activations.kernels, base, values.count, shift, scale)
    }

    /// Replaces every `x` by `exp(x − shift)` and returns their sum, summed in Float64.
    package static func exponentiate(_ values: UnsafeMutableBufferPointer<Float>, shift: Float) -> Double {
        guard let base = values.baseAddress else { return 0 }
        return vector_exponentiate(Activations.kernels, base, values.count, shift)
    }

    /// Down each column of `values` `[rows, columns]` (row-major, rows `ld` apart, `columns`
    /// by default): `maxima[j]` ← the column's largest value (NaN ignored), `sums[j]` ←
    /// `Σ_r exp(values[r, j] − maxima[j])` in Float64 — the log-sum-exp of logits laid out
    /// one column per row of a batch.
    package static func columnLogSumExp(
        _ values: UnsafePointer<Float>, rows: Int, columns: Int, ld: Int? = nil, maxima: UnsafeMutablePointer<Float>,
        sums: UnsafeMutablePointer<Double>
    ) {
        vector_column_log_sum_exp(Activations.kernels, values, rows, columns, ld ?? columns, maxima, sums)
    }

    /// `log Σ exp(x)`, stable: the maximum is factored out.
    package static func logSumExp(_ values: UnsafeBufferPointer<Float>) -> Double {
        let maximum = maximum(values)
        return Double(maximum) + log(sumOfExponentials(values, shift: maximum))
    }

    /// The first index at which the running sum of `exp((x − shift) · scale)` exceeds
    /// `threshold` (the inverse CDF of the unnormalised distribution); the last index with a
    /// non-zero weight when rounding keeps the sum from getting there.
    package static func firstIndex(
        whereCumulativeExponentialsExceed threshold: Double, in values: UnsafeBufferPointer<Float>, shift: Float,
        scale: Float = 1
    ) -> Int {
        guard let base = values.baseAddress else { return 0 }
        var cumulative = 0.0
        var lastNonZero = 0
        for index in stride(from: 0, to: values.count, by: 16) {
            let chunk = weights(base, at: index, count: values.count, shift: shift, scale: scale)
            let chunkSum = Double(chunk.sum())
            if chunkSum > 0 { lastNonZero = index + Int((0..<16).last { chunk[$0] > 0 } ?? 0) }
            guard cumulative + chunkSum > threshold else {
                cumulative += chunkSum
                continue
            }
            for lane in 0..<Swift.min(16, values.count - index) {
                cumulative += Double(chunk[lane])
                if cumulative > threshold { return index + lane }
            }
        }
        return lastNonZero
    }
}
