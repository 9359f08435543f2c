import Foundation

import LMNetwork
import LMTensor
import LMText

/// Held-out perplexity: the model reads the whole token stream with its state carried from
/// start to end (one stream by default; `B` streams as in the PyTorch example, which drops
/// the remainder of `N / B` and the first prediction of each stream and so differs
/// slightly). Log-probabilities are accumulated in Float64.
///
/// The `B` streams are independent, so they are scored in ``shards`` groups, each read from
/// its first window to its last by one thread on a follower of the model
/// (``LanguageModel/makeFollower()``): the threads meet once per text, not at every product,
/// and a thread that another process slows down holds up no other. The groups' sums are
/// added in group order, so the figure depends on the groups, never on the thread count.
public struct Evaluator {
    public let model: LanguageModel
    public let batchSize: Int
    public let windowLength: Int
    /// Groups of streams scored apart (at most `B`; 1 scores the batch as one).
    public let shards: Int

    public init(model: LanguageModel, batchSize: Int = 1, windowLength: Int = 35, shards: Int = 1) {
        precondition(batchSize > 0 && windowLength > 0 && shards > 0, "batch size, window length and shards must be positive")
        self.model = model
        self.batchSize = batchSize
        self.windowLength = windowLength
        self.shards = min(shards, batchSize)
    }

    public struct Result: Equatable, Sendable {
        /// Sum of −log p(target) over the scored tokens, in nats.
        public var negativeLogLikelihood: Double
        /// Tokens scored (predictions made).
        public var tokens: Int

        /// Mean cross-entropy in nats per token.
        public var crossEntropy: Double { tokens > 0 ? negativeLogLikelihood / Double(tokens) : .nan }
        public var bitsPerToken: Double { crossEntropy / log(2.0) }
        public var perplexity: Double { exp(crossEntropy) }

        /// Bits per character of `text`, the scale on which models with different
        /// tokenizers compare: bits per token times the text's tokens, plus what its unknown
        /// tokens cost to spell (``Corpus/Encoded/unknownSpellingBits``), over its NFC
        /// characters, line ends included. With the spelling a word model pays for every
        /// character, as char and subword models do.
        public func bitsPerCharacter(of text: Corpus.Encoded) -> Double {
            (bitsPerToken * Double(text.ids.count) + text.unknownSpellingBits) / Double(max(1, text.characters))
        }
    }

    /// Scores every token of `tokens` but the first of each stream; too short a text
    /// (fewer than two tokens per stream) scores nothing.
    public func evaluate(_ tokens: [Int32]) -> Result {
        guard shards > 1 else { return evaluate(tokens, batchSize: batchSize, on: model) }
        let groups = BatchShard(wholeBatchOf: batchSize).groups(shards)
        let models = [model] + (1..<shards).map { _ in model.makeFollower() }
        var results = [Result](repeating: Result(negativeLogLikelihood: 0, tokens: 0), count: shards)
        results.withUnsafeMutableBufferPointer { results in
            ComputeThreads.forEach(parts: shards, long: true) { index in
                if index > 0 { models[index].follow(model) }
                results[index] = evaluate(groups[index].streams(of: tokens), batchSize: groups[index].count, on: models[index])
            }
        }
        return Result(
            negativeLogLikelihood: results.reduce(0) { $0 + $1.negativeLogLikelihood },
            tokens: results.reduce(0) { $0 + $1.tokens })
    }

    /// `tokens` read as `batchSize` streams by `model`, as one batch.
    private func evaluate(_ tokens: [Int32], batchSize: Int, on model: LanguageModel) -> Result {
        guard let batcher = try? Batcher(tokens: tokens, batchSize: batchSize, windowLength: windowLength) else {
            return Result(negativeLogLikelihood: 0, tokens: 0)
        }
        var state = RecurrentState(zerosFor: model.configuration, batchSize: batchSize)
        var window = Batcher.Window()
        var total = 0.0
        for index in 0..<batcher.windowCount {
            batcher.fill(&window, index: index)
            total += model.evaluateWindow(
                inputs: window.inputs, targets: window.targets, windowLength: window.length,
                batchSize: batchSize, state: &state)
        }
        return Result(negativeLogLikelihood: total, tokens: batcher.tokensPerEpoch)
    }
}
