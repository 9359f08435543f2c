import Foundation
import LMTensor

/// Chooses the next token from a row of logits. Strategies plug in by conforming; each
/// draws randomness only from the generator it is given, so a seed fixes the text.
public protocol LogitSampler {
    /// The chosen token id for `logits` (`[V]`), read in place: a `Span`, so a sampler
    /// written outside the package sees the row without a copy or a raw pointer.
    func sample(_ logits: Span<Float>, generator: inout RandomGenerator) -> Int
}

/// The most likely token (ties go to the lowest id).
public struct GreedySampler: LogitSampler {
    public init() {}

    public func sample(_ logits: Span<Float>, generator: inout RandomGenerator) -> Int {
        var best = 0
        for index in logits.indices where logits[index] > logits[best] { best = index }
        return best
    }
}

/// Samples from `softmax(logits / temperature)`, restricted first to the `topK` most likely
/// tokens and then to the smallest set of most likely tokens whose probability reaches
/// `topP` (nucleus sampling). A temperature of 0 is greedy.
public struct TemperatureSampler: LogitSampler {
    public let temperature: Float
    public let topK: Int?
    public let topP: Float?

    /// - Precondition: `temperature >= 0`, `topK >= 1`, `0 < topP <= 1` (the CLI checks
    ///   these and reports them as flag errors).
    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil) {
        precondition(temperature >= 0, "temperature must not be negative")
        precondition(topK.map { $0 >= 1 } ?? true, "top-k must be at least 1")
        precondition(topP.map { $0 > 0 && $0 <= 1 } ?? true, "top-p must be in (0, 1]")
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    public func sample(_ logits: Span<Float>, generator: inout RandomGenerator) -> Int {
        if temperature == 0 { return GreedySampler().sample(logits, generator: &generator) }
        return logits.withUnsafeBufferPointer { sample($0, generator: &generator) }
    }

    /// ``sample(_:generator:)`` for a nonzero temperature, on the kernels' pointer view of the row.
    func sample(_ logits: UnsafeBufferPointer<Float>, generator: inout RandomGenerator) -> Int {
        let maximum = Softmax.maximum(logits)
        let scale = 1 / temperature
        guard topK != nil || topP != nil else {
            // Two passes over the row, nothing allocated: the total, then the inverse CDF.
            let total = Softmax.sumOfExponentials(logits, shift: maximum, scale: scale)
            return Softmax.firstIndex(
                whereCumulativeExponentialsExceed: Double(generator.nextUniform()) * total, in: logits, shift: maximum,
                scale: scale)
        }
        let candidates = probabilities(logits, maximum: maximum, scale: scale)
        let threshold = Double(generator.nextUniform()) * candidates.reduce(0) { $0 + $1.probability }
        var cumulative = 0.0
        for candidate in candidates {
            cumulative += candidate.probability
            if cumulative > threshold { return candidate.token }
        }
        return candidates[candidates.count - 1].token
    }

    /// The tokens top-k and top-p keep, most likely first (ties: lowest id first), with
    /// unnormalised probabilities `exp((logit − maximum) / temperature)`.
    ///
    /// Only the tokens that can be kept are sorted: a bisection on the weight finds a
    /// cutoff that keeps at least the k best (or a nucleus of at least mass p), so a
    /// 33k-token vocabulary costs a few passes over the row rather than a full sort.
    func probabilities(
        _ logits: UnsafeBufferPointer<Float>, maximum: Float, scale: Float
    ) -> [(token: Int, probability: Double)] {
        var weights = [Float](repeating: 0, count: logits.count)
        weights.withUnsafeMutableBufferPointer { weights in
            for index in 0..<logits.count { weights[index] = logits[index] }
            Activations.apply(weights.baseAddress!, count: logits.count) { Activations.exp(($0 - maximum) * scale) }
        }
        // Sorted candidates, once a filter has chosen them.
        var kept: [(token: Int, probability: Double)]?
        if let topK, topK < weights.count {
            let cutoff = Self.cutoff(weights) { kept in kept.count >= topK }
            kept = Array(Self.sortedCandidates(weights, atLeast: cutoff).prefix(topK))
        }
        if let topP {
            let total = kept?.reduce(0) { $0 + $1.probability } ?? weights.reduce(0) { $0 + Double($1) }
            var nucleus = kept ?? Self.sortedCandidates(weights, atLeast: Self.cutoff(weights) { $0.mass >= Double(topP) * total })
            var cumulative = 0.0
            var keep = 0
            while keep < nucleus.count && cumulative < Double(topP) * total {
                cumulative += nucleus[keep].probability
                keep += 1
            }
            nucleus.removeSubrange(max(keep, 1)...)
            kept = nucleus
        }
        return kept ?? Self.sortedCandidates(weights, atLeast: 0)
    }

    /// The largest weight `c` (to 2⁻³⁰ of the maximum weight, 1) for which the tokens with
    /// weight ≥ `c` still satisfy `enough`; `enough` holds for all tokens (c = 0).
    private static func cutoff(_ weights: [Float], enough: ((count: Int, mass: Double)) -> Bool) -> Float {
        var low: Float = 0, high: Float = 1
        for _ in 0..<30 {
            let middle = (low + high) / 2
            var count = 0
            var mass = 0.0
            for weight in weights where weight >= middle {
                count += 1
                mass += Double(weight)
            }
            if enough((count, mass)) { low = middle } else { high = middle }
        }
        // A little below, so that rounding in the bisection's sums never drops a token the
        // exact rule would keep; the callers cut the sorted list exactly.
        return low * (1 - 1e-3)
    }

    /// Tokens with weight ≥ `cutoff`, most likely first, ties by lowest id.
    private static func sortedCandidates(_ weights: [Float], atLeast cutoff: Float) -> [(token: Int, probability: Double)] {
        var candidates: [(token: Int, probability: Double)] = []
        for (token, weight) in weights.enumerated() where weight >= cutoff {
            candidates.append((token, Double(weight)))
        }
        candidates.sort { $0.probability > $1.probability || ($0.probability == $1.probability && $0.token < $1.token) }
        return candidates
    }
}
