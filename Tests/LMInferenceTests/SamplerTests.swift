import Foundation
import LMTensor
import Testing

@testable import LMInference

@Suite struct SamplerTests {
    static let logits: [Float] = [0.5, 2.0, -1.0, 1.5, 0.0, 3.0, -0.5, 1.0]

    func draws(_ sampler: LogitSampler, count: Int = 4000, seed: UInt64 = 1) -> [Int] {
        var generator = RandomGenerator(seed: seed)
        return Self.logits.withUnsafeBufferPointer { logits in (0..<count).map { _ in sampler.sample(logits, generator: &generator) } }
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
