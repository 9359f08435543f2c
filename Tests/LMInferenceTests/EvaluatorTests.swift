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

    /// Shards score near-equal groups of the streams apart, in order (5 streams in 2 groups:
    /// 2 and 3), bit for bit as the model scores each group alone (followers run the
    /// leader's bfloat16 products when it has them), on one thread as on the pool's; the
    /// figure is the whole batch's to the order of the sums.
    @Test(arguments: [CellKind.lstm, .gru])
    func shardsScoreTheirGroupsOfStreamsOnAnyThreadCount(cell: CellKind) throws {
        var generator = RandomGenerator(seed: 11)
        let model = try LanguageModel(
            configuration: ModelConfiguration(vocabularySize: 30, embeddingSize: 8, hiddenSize: 12, layers: 2, cell: cell, dropout: 0),
            generator: &generator)
        for parameter in model.parameters { parameter.initializeForTests(scale: 0.5, generator: &generator) }
        let (batchSize, streamLength) = (5, 80)
        let tokens = (0..<batchSize * streamLength + 3).map { _ in Int32(generator.next() % 30) }
        for bfloat16 in [false, true] {
            if bfloat16 { model.reduceWeightsToBFloat16() }
            let whole = Evaluator(model: model, batchSize: batchSize, windowLength: 7).evaluate(tokens)
            for shards in [2, 5] {
                var groups = Evaluator.Result(negativeLogLikelihood: 0, tokens: 0)
                for group in 0..<shards {
                    let streams = (batchSize * group / shards)..<(batchSize * (group + 1) / shards)
                    let alone = Evaluator(model: model, batchSize: streams.count, windowLength: 7)
                        .evaluate(Array(tokens[streams.lowerBound * streamLength..<streams.upperBound * streamLength]))
                    groups.negativeLogLikelihood += alone.negativeLogLikelihood
                    groups.tokens += alone.tokens
                }
                let evaluator = Evaluator(model: model, batchSize: batchSize, windowLength: 7, shards: shards)
                let pooled = evaluator.evaluate(tokens)
                var oneThread: Evaluator.Result?
                ComputeThreads.forEach(parts: 2) { part in if part == 0 { oneThread = evaluator.evaluate(tokens) } }
                #expect(pooled == groups, "\(cell), \(shards) shards, bf16 \(bfloat16)")
                #expect(pooled == oneThread, "\(cell), \(shards) shards, bf16 \(bfloat16)")
                #expect(pooled.tokens == whole.tokens)
                let tolerance = bfloat16 ? 1e-5 : 1e-6  // bfloat16 products sum in blocks that depend on the rows
                #expect(
                    abs(pooled.negativeLogLikelihood - whole.negativeLogLikelihood) < tolerance * whole.negativeLogLikelihood,
                    "\(cell), \(shards) shards, bf16 \(bfloat16): \(pooled.negativeLogLikelihood) against \(whole.negativeLogLikelihood)")
            }
        }
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

    static func randomModel(vocabularySize: Int, seed: UInt64) throws -> LanguageModel {
        var generator = RandomGenerator(seed: seed)
        let model = try LanguageModel(
            configuration: ModelConfiguration(vocabularySize: vocabularySize, embeddingSize: 6, hiddenSize: 8, cell: .lstm, dropout: 0),
            generator: &generator)
        for parameter in model.parameters { parameter.initializeForTests(scale: 1.5, generator: &generator) }
        return model
    }

    /// The total log-probability of `tokens` after `seed`, one model step at a time.
    static func score(_ tokens: [Int32], after seed: [Int32], model: LanguageModel) -> Double {
        let vocabulary = model.configuration.vocabularySize
        var state = RecurrentState(zerosFor: model.configuration, batchSize: 1)
        let logits = Tensor(shape: [1, vocabulary])
        for token in seed { model.stepLogits(inputs: [token], state: &state, into: logits) }
        var total = 0.0
        for token in tokens {
            let row = UnsafeBufferPointer(start: logits.pointer, count: vocabulary)
            let maximum = Double(row.max() ?? 0)
            total += Double(row[Int(token)]) - (log(row.reduce(0.0) { $0 + exp(Double($1) - maximum) }) + maximum)
            model.stepLogits(inputs: [token], state: &state, into: logits)
        }
        return total
    }

    /// A beam as wide as every sequence of the length but the last token makes the search
    /// exhaustive: its `count` results are the `count` best sequences, distinct, best first.
    @Test func beamSearchReturnsTheBestDistinctContinuations() throws {
        let model = try Self.randomModel(vocabularySize: 5, seed: 21)
        let seed: [Int32] = [3, 4]
        let all: [[Int32]] = (0..<125).map { (index: Int32) in [index / 25, index / 5 % 5, index % 5] }
        let ranked: [(tokens: [Int32], score: Double)] =
            all.map { ($0, Self.score($0, after: seed, model: model)) }.sorted { $0.score > $1.score }
        let results = BeamSearch(model: model, width: 25).search(seed: seed, length: 3, endOfLine: 1, count: 6)
        #expect(results.map(\.tokens) == ranked.prefix(6).map(\.tokens))
        for (result, expected) in zip(results, ranked) {
            #expect(abs(result.score - expected.score) < 1e-4)
        }
        #expect(Set(results.map(\.tokens)).count == 6)
        #expect(results[0] == BeamSearch(model: model, width: 25).search(seed: seed, length: 3, endOfLine: 1))
    }

    /// With `lineEnds`, each continuation ends at its first line end: continuations of
    /// different lengths, distinct, ranked by score.
    @Test func beamSearchStopsEachContinuationAtItsLineEnds() throws {
        let model = try Self.randomModel(vocabularySize: 6, seed: 5)
        let results = BeamSearch(model: model, width: 4).search(seed: [2], length: 200, endOfLine: 1, lineEnds: 1, count: 4)
        #expect(results.count == 4)
        #expect(Set(results.map(\.tokens)).count == 4)
        for result in results {
            #expect(result.tokens.last == 1 && result.tokens.count { $0 == 1 } == 1, "\(result.tokens)")
            #expect(abs(result.score - Self.score(result.tokens, after: [2], model: model)) < 1e-4)
        }
        #expect(zip(results, results.dropFirst()).allSatisfy { $0.score >= $1.score })
    }
}

extension Parameter {
    func initializeForTests(scale: Float, generator: inout RandomGenerator) {
        for index in 0..<value.count { value[index] = generator.nextUniform(in: -scale, scale) }
    }
}
