import Foundation
import LMTensor
import Testing

@testable import LMInference

@Suite struct SamplerTests {
    static let logits: [Float] = [0.5, 2.0, -1.0, 1.5, 0.0, 3.0, -0.5, 1.0]

    func draws(_ sampler: LogitSampler, count: Int = 4000, seed: UInt64 = 1) -> [Int] {
        var generator = RandomGenerator(seed: seed)
        let logits = Self.logits.span
        var drawn: [Int] = []
        for _ in 0..<count { drawn.append(sampler.sample(logits, generator: &generator)) }
        return drawn
    }

    @Test func greedyTakesTheMostLikelyToken() {
        #expect(Set(draws(GreedySampler(), count: 10)) == [5])
    }

    @Test func temperatureZeroEqualsGreedy() {
        #expect(draws(TemperatureSampler(temperature: 0), count: 50) == draws(GreedySampler(), count: 50))
    }

    @Test func topKNeverLeavesTheKBest() {
        #expect(Set(draws(TemperatureSampler(topK: 3))) == [5, 1, 3])
        #expect(Set(draws(TemperatureSampler(topK: 1), count: 100)) == [5])
    }

    @Test func topPKeepsTheSmallestNucleus() {
        // softmax probabilities: 3.0 → 0.51, 2.0 → 0.19, 1.5 → 0.11, 1.0 → 0.07 ...
        #expect(Set(draws(TemperatureSampler(topP: 0.5))) == [5])
        #expect(Set(draws(TemperatureSampler(topP: 0.75))) == [5, 1, 3])
    }

    @Test func samplesFollowTheSoftmaxDistribution() {
        let samples = draws(TemperatureSampler(temperature: 1), count: 40_000)
        let maximum = Self.logits.max() ?? 0
        let weights = Self.logits.map { exp(Double($0 - maximum)) }
        let total = weights.reduce(0, +)
        for token in Self.logits.indices {
            let observed = Double(samples.count { $0 == token }) / Double(samples.count)
            #expect(abs(observed - weights[token] / total) < 0.01, "token \(token)")
        }
    }

    @Test func lowTemperatureSharpens() {
        let cold = draws(TemperatureSampler(temperature: 0.3)).count { $0 == 5 }
        let warm = draws(TemperatureSampler(temperature: 2)).count { $0 == 5 }
        #expect(cold > warm)
    }

    @Test func theSameSeedGivesTheSameSamples() {
        let sampler = TemperatureSampler(temperature: 0.8, topK: 5, topP: 0.9)
        #expect(draws(sampler, seed: 7) == draws(sampler, seed: 7))
        #expect(draws(sampler, seed: 7) != draws(sampler, seed: 8))
    }
}

/// The fast top-k / top-p filters against the definition: sort every token by probability
/// (ties by id), cut to k, then keep the shortest prefix reaching mass p.
@Suite struct SamplerFilterTests {
    static func reference(_ logits: [Float], temperature: Float, topK: Int?, topP: Float?) -> [Int] {
        let maximum = logits.max() ?? 0
        var candidates = logits.indices.map { (token: $0, probability: Double(exp((logits[$0] - maximum) / temperature))) }
        candidates.sort { $0.probability > $1.probability || ($0.probability == $1.probability && $0.token < $1.token) }
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
        return candidates.map(\.token)
    }

    @Test(arguments: [(Int?.none, Float?.some(0.9)), (50, nil), (200, 0.5), (nil, 0.99), (nil, 0.01), (5000, 0.95)])
    func filtersKeepExactlyTheDefinedTokens(topK: Int?, topP: Float?) {
        var generator = RandomGenerator(seed: 3)
        // A peaked, Zipf-like row with ties, as a language model's logits are.
        let logits: [Float] = (0..<5000).map { index in
            index % 97 == 0 ? 2 : 4 * generator.nextNormal() - Float(index).squareRoot() / 20
        }
        let sampler = TemperatureSampler(temperature: 0.8, topK: topK, topP: topP)
        let maximum = logits.max()!
        let kept = logits.withUnsafeBufferPointer { sampler.probabilities($0, maximum: maximum, scale: 1 / 0.8) }
        #expect(kept.map(\.token) == Self.reference(logits, temperature: 0.8, topK: topK, topP: topP))
    }
}
