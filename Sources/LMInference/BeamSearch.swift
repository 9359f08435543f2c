import Foundation
import LMNetwork
import LMTensor

/// Beam search for the most likely continuation of a fixed length: keeps the `width`
/// best partial sequences by total log-probability, extending all of them in one batched
/// step (the beams are the batch rows) and reordering the state rows to follow the
/// survivors.
public struct BeamSearch {
    public let model: LanguageModel
    public let width: Int

    public init(model: LanguageModel, width: Int) {
        precondition(width >= 1, "beam width must be at least 1")
        self.model = model
        self.width = width
    }

    public struct Result: Equatable, Sendable {
        public var tokens: [Int32]
        /// Log-probability of each token under the model.
        public var logProbabilities: [Double]
        public var score: Double { logProbabilities.reduce(0, +) }
    }

    /// The best `length`-token continuation of `seed` (an empty seed starts after `<eos>`).
    public func search(seed: [Int32], length: Int, endOfLine: Int32) -> Result {
        let vocabulary = model.configuration.vocabularySize
        var state = RecurrentState(zerosFor: model.configuration, batchSize: 1)
        let single = Tensor(shape: [1, vocabulary])
        for token in seed.isEmpty ? [endOfLine] : seed { model.stepLogits(inputs: [token], state: &state, into: single) }
        var beams = [Result(tokens: [], logProbabilities: [])]
        var logits = single
        var beamState = state
        for _ in 0..<length {
            var candidates: [(beam: Int, token: Int32, logProbability: Double, score: Double)] = []
            for (row, beam) in beams.enumerated() {
                let rowLogits = UnsafeBufferPointer(start: logits.pointer + row * vocabulary, count: vocabulary)
                let maximum = Double(rowLogits.max() ?? 0)
                let logSum = log(rowLogits.reduce(0.0) { $0 + exp(Double($1) - maximum) }) + maximum
                for token in 0..<vocabulary {
                    let logProbability = Double(rowLogits[token]) - logSum
                    candidates.append((row, Int32(token), logProbability, beam.score + logProbability))
                }
            }
            candidates.sort { $0.score != $1.score ? $0.score > $1.score : ($0.beam, $0.token) < ($1.beam, $1.token) }
            let survivors = candidates.prefix(width)
            beams = survivors.map {
                Result(tokens: beams[$0.beam].tokens + [$0.token], logProbabilities: beams[$0.beam].logProbabilities + [$0.logProbability])
            }
            beamState = beamState.gathering(rows: survivors.map(\.beam))
            logits = Tensor(shape: [beams.count, vocabulary])
            model.stepLogits(inputs: survivors.map(\.token), state: &beamState, into: logits)
        }
        return beams[0]
    }
}
