import Foundation
import LMTensor

/// Chooses the next token from a row of logits. Strategies plug in by conforming; each
/// draws randomness only from the generator it is given, so a seed fixes the text.
public protocol LogitSampler {
    /// The chosen token id for `logits` (`[V]`).
    func sample(_ logits: UnsafeBufferPointer<Float>, generator: inout RandomGenerator) -> Int
}

/// The most likely token (ties go to the lowest id).
public struct GreedySampler: LogitSampler {
    public init() {}

    public func sample(_ logits: UnsafeBufferPointer<Float>, generator: inout RandomGenerator) -> Int {
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

    public func sample(_ logits: UnsafeBufferPointer<Float>, generator: inout RandomGenerator) -> Int {
        if temperature == 0 { return GreedySampler().sample(logits, generator: &generator) }
        let candidates = probabilities(logits)
        let threshold = Double(generator.nextUniform()) * candidates.reduce(0) { $0 + $1.probability }
        var cumulative = 0.0
        for candidate in candidates {
            cumulative += candidate.probability
            if cumulative > threshold { return candidate.token }
        }
        return candidates[candidates.count - 1].token
    }

    /// The tokens that may be drawn, most likely first, with unnormalised probabilities.
    func probabilities(_ logits: UnsafeBufferPointer<Float>) -> [(token: Int, probability: Double)] {
        var maximum = -Float.infinity
        for logit in logits { maximum = max(maximum, logit) }
        var candidates = logits.indices.map { token in
            (token: token, probability: exp(Double(logits[token] - maximum) / Double(temperature)))
        }
        // Sorting is only needed when a filter keeps a prefix of the most likely tokens.
        if topK != nil || topP != nil {
            candidates.sort { $0.probability > $1.probability || ($0.probability == $1.probability && $0.token < $1.token) }
        }
        if let topK, topK < candidates.count { candidates.removeSubrange(topK...) }
        if let topP {
            let total = candidates.reduce(0) { $0 + $1.probability }
            var cumulative = 0.0
            var keep = 0
            while keep < candidates.count && cumulative < Double(topP) * total {
                cumulative += candidates[keep].probability
                keep += 1
            }
            candidates.removeSubrange(max(keep, 1)...)
        }
        return candidates
    }
}
