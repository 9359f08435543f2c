import LMNetwork
import LMTensor

/// Central finite differences for gradient checks.
///
/// Losses are Float32 computations, so the step is large enough (`h = 1e-2` by default)
/// that rounding (≈1e-7 relative in the loss) stays well below truncation error `O(h²)`;
/// comparisons use `|analytic − numeric| ≤ tolerance · |numeric| + absolute` with the
/// tolerances stated by each test (defaults 1e-2 and 1e-2). The absolute term covers
/// Float32 rounding of the loss, which the difference quotient amplifies by `1 / 2h`.
public enum GradientCheck {
    public struct Mismatch: CustomStringConvertible, Sendable {
        public let name: String
        public let index: Int
        public let analytic: Float
        public let numeric: Float
        public var description: String { "\(name)[\(index)]: analytic \(analytic), numeric \(numeric)" }
    }

    /// Compares `gradient` with central differences of `loss` with respect to `value`, at
    /// up to `samples` evenly spread indices (every index when the tensor is smaller).
    public static func compare(
        name: String, value: Tensor, gradient: [Float], step: Float = 1e-2, tolerance: Float = 1e-2, absolute: Float = 1e-2,
        samples: Int = 24, loss: () -> Double
    ) -> [Mismatch] {
        let stride = max(1, value.count / samples)
        var mismatches: [Mismatch] = []
        for index in Swift.stride(from: 0, to: value.count, by: stride) {
            let original = value[index]
            value[index] = original + step
            let plus = loss()
            value[index] = original - step
            let minus = loss()
            value[index] = original
            let numeric = Float((plus - minus) / (2 * Double(step)))
            let analytic = gradient[index]
            if abs(analytic - numeric) > tolerance * abs(numeric) + absolute {
                mismatches.append(Mismatch(name: name, index: index, analytic: analytic, numeric: numeric))
            }
        }
        return mismatches
    }

    /// A `[T, B]` array of random ids below `vocabularySize`.
    public static func randomIds(count: Int, vocabularySize: Int, generator: inout RandomGenerator) -> [Int32] {
        (0..<count).map { _ in Int32(generator.next() % UInt64(vocabularySize)) }
    }
}
