import Foundation
import LMNetwork
import LMTensor
import Testing

@testable import LMInference

/// Perplexity on a model whose prediction is known by hand: with every weight zero but
/// the decoder bias, every position predicts `softmax(bias)`, whatever the input.
@Suite struct EvaluatorTests {
    static func biasOnlyModel(bias: [Float], cell: CellKind = .gru) throws -> LanguageModel {
        var generator = RandomGenerator(seed: 0)
        let model = try LanguageModel(
            configuration: ModelConfiguration(vocabularySize: bias.count, embeddingSize: 3, hiddenSize: 4, layers: 2, cell: cell, dropout: 0),
            generator: &generator)
        for parameter in model.parameters { parameter.value.zero() }
        try #require(model.parameter(named: "decoder.bias")).value.assign(bias)
        return model
    }

    @Test func perplexityIsComputedAsByHand() throws {
        let bias: [Float] = [0, 1, 2, -1]
        let model = try Self.biasOnlyModel(bias: bias)
        let tokens: [Int32] = [1, 2, 2, 0, 3, 2, 1, 1, 2]
        let logSum = log(bias.reduce(0.0) { $0 + exp(Double($1)) })
        let expected = tokens.dropFirst().reduce(0.0) { $0 + logSum - Double(bias[Int($1)]) } / 8
        for windowLength in [1, 3, 35] {
            let result = Evaluator(model: model, batchSize: 1, windowLength: windowLength).evaluate(tokens)
            #expect(result.tokens == 8)
            #expect(abs(result.crossEntropy - expected) < 1e-6)
            #expect(abs(result.perplexity - exp(expected)) < 1e-5 * exp(expected))
            #expect(abs(result.bitsPerToken - expected / log(2)) < 1e-6)
        }
        // Two streams: [1 2 2 0], [3 2 1 1]; the first of each is not predicted, 9 % 2 dropped.
        let batched = Evaluator(model: model, batchSize: 2, windowLength: 2).evaluate(tokens)
        #expect(batched.tokens == 6)
        let predicted: [Int32] = [2, 2, 0, 2, 1, 1]
        let batchedExpected = predicted.reduce(0.0) { $0 + logSum - Double(bias[Int($1)]) } / 6
        #expect(abs(batched.crossEntropy - batchedExpected) < 1e-6)
    }

    @Test func theStateIsCarriedAcrossWindows() throws {
        var generator = RandomGenerator(seed: 4)
        let model = try LanguageModel(
            configuration: ModelConfiguration(vocabularySize: 9, embeddingSize: 5, hiddenSize: 6, cell: .lstm, dropout: 0),
            generator: &generator)
        let tokens = (0..<50).map { Int32($0 * 7 % 9) }
        let short = Evaluator(model: model, windowLength: 4).evaluate(tokens)
        let long = Evaluator(model: model, windowLength: 49).evaluate(tokens)
        #expect(abs(short.negativeLogLikelihood - long.negativeLogLikelihood) < 1e-4 * long.negativeLogLikelihood)
    }

    @Test func beamSearchFindsTheKnownBestSequence() throws {
        // Bias-only model: every step's best token is 2, so the best sequence is all 2s.
        let model = try Self.biasOnlyModel(bias: [0, 1, 2, -1])
        let result = BeamSearch(model: model, width: 3).search(seed: [1], length: 4, endOfLine: 1)
        #expect(result.tokens == [2, 2, 2, 2])
        let logSum = log([0.0, 1, 2, -1].reduce(0.0) { $0 + exp($1) })
        #expect(abs(result.score - 4 * (2 - logSum)) < 1e-5)
    }

    @Test func widerBeamsScoreAtLeastAsWellAsGreedy() throws {
        var generator = RandomGenerator(seed: 8)
        let model = try LanguageModel(
            configuration: ModelConfiguration(vocabularySize: 10, embeddingSize: 6, hiddenSize: 8, cell: .lstm, dropout: 0),
            generator: &generator)
        for parameter in model.parameters { parameter.initializeForTests(scale: 1.5, generator: &generator) }
        let greedy = BeamSearch(model: model, width: 1).search(seed: [3, 4], length: 6, endOfLine: 1)
        let textGenerator = TextGenerator(model: model)
        textGenerator.prime(with: [3, 4], endOfLine: 1)
        var sampled: [Int32] = []
        var scratch = RandomGenerator(seed: 0)
        textGenerator.generate(maxTokens: 6, sampler: GreedySampler(), generator: &scratch) { token, _ in
            sampled.append(token)
            return true
        }
        #expect(greedy.tokens == sampled)
        let wide = BeamSearch(model: model, width: 8).search(seed: [3, 4], length: 6, endOfLine: 1)
        #expect(wide.score >= greedy.score - 1e-9)
    }
}

extension Parameter {
    func initializeForTests(scale: Float, generator: inout RandomGenerator) {
        for index in 0..<value.count { value[index] = generator.nextUniform(in: -scale, scale) }
    }
}
