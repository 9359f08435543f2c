import Foundation
import LMNetwork
import LMTensor
import LMText
import Testing

@testable import LMInference

@Suite struct CacheEvaluatorTests {
    static func model(vocabulary: Int = 7, adaptive: Bool = false) throws -> LanguageModel {
        var generator = RandomGenerator(seed: 11)
        var configuration = ModelConfiguration(
            vocabularySize: vocabulary, embeddingSize: 5, hiddenSize: 6, layers: 2, cell: .lstm, dropout: 0)
        if adaptive {
            configuration.softmax = .adaptive
            configuration.cutoffs = [3]
        }
        return try LanguageModel(configuration: configuration, generator: &generator)
    }

    static func tokens(count: Int, vocabulary: Int, seed: UInt64) -> [Int32] {
        var generator = RandomGenerator(seed: seed)
        return (0..<count).map { _ in Int32(generator.next() % UInt64(vocabulary)) }
    }

    /// The model's own probabilities are ``Evaluator``'s figure, token for token in sum, on
    /// one stream and on several.
    @Test(arguments: [1, 3])
    func withoutTheCacheTheFigureIsTheEvaluators(batchSize: Int) throws {
        let model = try Self.model()
        let tokens = Self.tokens(count: 80, vocabulary: 7, seed: 1)
        let plain = Evaluator(model: model, batchSize: batchSize, windowLength: 6).evaluate(tokens)
        let cached = CacheEvaluator(model: model, size: 10, batchSize: batchSize, windowLength: 6)
        let (withCache, withoutCache) = cached.evaluate(tokens, mixture: .init(theta: 0.5, lambda: 0))
        #expect(withoutCache.tokens == plain.tokens && withCache.tokens == plain.tokens)
        #expect(abs(withoutCache.negativeLogLikelihood - plain.negativeLogLikelihood) <= 1e-6 * plain.negativeLogLikelihood)
        #expect(withCache.negativeLogLikelihood == withoutCache.negativeLogLikelihood, "λ = 0 leaves the model alone")
    }

    /// Each token's cache probability against the definition, computed in Float64 from the
    /// model's outputs over the whole text: the cache holds the `N` positions before `t`
    /// (fewer at the start), wherever the windows fall.
    @Test(arguments: [(size: 4, windowLength: 3), (size: 9, windowLength: 5), (size: 100, windowLength: 7)])
    func theCacheProbabilityIsItsDefinition(size: Int, windowLength: Int) throws {
        let model = try Self.model()
        let tokens = Self.tokens(count: 40, vocabulary: 7, seed: 2)
        let thetas: [Float] = [0.25, 2]
        let probabilities = CacheEvaluator(model: model, size: size, windowLength: windowLength)
            .probabilities(of: tokens, thetas: thetas)
        var state = RecurrentState(zerosFor: model.configuration, batchSize: 1)
        let width = model.configuration.outputSize
        let top = Tensor(shape: [tokens.count - 1, width])
        model.logits(
            inputs: Array(tokens.dropLast()), windowLength: tokens.count - 1, batchSize: 1, state: &state,
            into: Tensor(shape: [tokens.count - 1, model.configuration.vocabularySize]), outputs: top)
        let outputs = top.values
        func h(_ t: Int) -> ArraySlice<Float> { outputs[(t * width)..<((t + 1) * width)] }
        #expect(probabilities.model.count == tokens.count - 1)
        for (thetaIndex, theta) in thetas.enumerated() {
            for t in 0..<(tokens.count - 1) {
                let actual = probabilities.cache[thetaIndex][t]
                let cached = max(0, t - size)..<t
                guard !cached.isEmpty else {
                    #expect(actual.isNaN, "nothing cached before the first position")
                    continue
                }
                let weights = cached.map { i in exp(Double(theta) * zip(h(t), h(i)).reduce(0.0) { $0 + Double($1.0 * $1.1) }) }
                let matching = zip(cached, weights).filter { tokens[$0.0 + 1] == tokens[t + 1] }.reduce(0.0) { $0 + $1.1 }
                let expected = matching / weights.reduce(0, +)
                #expect(abs(actual - expected) <= 1e-5 * max(expected, 1e-3), "θ \(theta), t \(t): \(actual) against \(expected)")
            }
        }
    }

    /// The mixture is a distribution over the next token: appending each token of the
    /// vocabulary in turn to a text, the probabilities of the last token sum to 1.
    @Test(arguments: [false, true])
    func theMixtureSumsToOneOverTheVocabulary(adaptive: Bool) throws {
        let model = try Self.model(adaptive: adaptive)
        let text = Self.tokens(count: 30, vocabulary: 7, seed: 3)
        let evaluator = CacheEvaluator(model: model, size: 12, windowLength: 4)
        let mixture = CacheEvaluator.Mixture(theta: 1.5, lambda: 0.4)
        let prefix = evaluator.evaluate(text, mixture: mixture).withCache.negativeLogLikelihood
        let total = (0..<7).reduce(0.0) { sum, next in
            sum + exp(prefix - evaluator.evaluate(text + [Int32(next)], mixture: mixture).withCache.negativeLogLikelihood)
        }
        #expect(abs(total - 1) < 1e-5, "\(total)")
    }

    /// On a text that keeps to a few tokens of a larger vocabulary (a topic's words, a
    /// scene's names) the cache makes those likely: tuned on another such text, it costs
    /// well under half the untrained model's perplexity.
    @Test func aTextThatKeepsToFewTokensCostsFarLessWithTheCache() throws {
        let model = try Self.model(vocabulary: 40)
        func fewTokens(from first: Int32, seed: UInt64) -> [Int32] {
            Self.tokens(count: 200, vocabulary: 5, seed: seed).map { $0 + first }
        }
        let evaluator = CacheEvaluator(model: model, size: 50)
        let mixture = evaluator.tune(on: fewTokens(from: 10, seed: 4))
        let (withCache, withoutCache) = evaluator.evaluate(fewTokens(from: 30, seed: 5), mixture: mixture)
        #expect(mixture.lambda > 0.5)
        #expect(withCache.perplexity < 0.5 * withoutCache.perplexity, "\(withCache.perplexity) against \(withoutCache.perplexity)")
    }

    /// Tuning gives the lowest cross-entropy on its text of any θ of the grid with any λ.
    @Test func tuningChoosesTheBestMixtureOfTheGrid() throws {
        let model = try Self.model(vocabulary: 12)
        let text = Self.tokens(count: 30, vocabulary: 12, seed: 6) + Self.tokens(count: 30, vocabulary: 12, seed: 6)
        let evaluator = CacheEvaluator(model: model, size: 40, windowLength: 5)
        let chosen = evaluator.tune(on: text)
        let best = evaluator.evaluate(text, mixture: chosen).withCache.negativeLogLikelihood
        for theta in CacheEvaluator.thetaGrid {
            for lambda in stride(from: 0.0, through: 1, by: 0.05) {
                let other = evaluator.evaluate(text, mixture: .init(theta: theta, lambda: lambda)).withCache.negativeLogLikelihood
                #expect(best <= other + 1e-6 * other, "θ \(theta), λ \(lambda)")
            }
        }
    }

    @Test func goldenSectionSearchFindsTheMinimumOrAnEnd() {
        #expect(abs(CacheEvaluator.minimum(in: 0...1) { ($0 - 0.3) * ($0 - 0.3) } - 0.3) < 1e-4)
        #expect(CacheEvaluator.minimum(in: 0...1) { $0 } == 0)
        #expect(abs(CacheEvaluator.minimum(in: 0...1) { -$0 } - 1) < 1e-4)
    }
}
