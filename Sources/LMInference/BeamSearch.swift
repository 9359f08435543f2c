import Foundation
import LMNetwork
import LMTensor

/// Beam search for the most likely continuations: keeps the `width` best partial sequences
/// by total log-probability, extending all unfinished ones in one batched step (the beams
/// are the batch rows) and reordering the state rows to follow the survivors.
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
        search(seed: seed, length: length, endOfLine: endOfLine, count: 1)[0]
    }

    /// The `count` best distinct continuations of `seed` (an empty seed starts after
    /// `<eos>`), best first; fewer when the vocabulary allows fewer.
    ///
    /// A continuation is finished at `length` tokens (at least 1) or, with `lineEnds`, at
    /// its `lineEnds`-th `endOfLine`. A finished continuation keeps its place in the beam,
    /// competing by its score with the extensions of the others (which can only lower
    /// theirs); the search ends when every continuation in the beam is finished.
    public func search(seed: [Int32], length: Int, endOfLine: Int32, lineEnds: Int? = nil, count: Int) -> [Result] {
        precondition(count >= 1 && count <= width, "count must be in 1...width")
        precondition(length >= 1, "length must be at least 1")
        let vocabulary = model.configuration.vocabularySize
        var state = RecurrentState(zerosFor: model.configuration, batchSize: 1)
        var logits = Tensor(shape: [1, vocabulary])
        for token in seed.isEmpty ? [endOfLine] : seed { model.stepLogits(inputs: [token], state: &state, into: logits) }
        var beams = [Hypothesis(result: Result(tokens: [], logProbabilities: []), lineEnds: 0, stateRow: 0)]
        while beams.contains(where: { $0.stateRow != nil }) {
            // A candidate is a beam extended by one token, or a finished beam as it is.
            var candidates: [(beam: Int, token: Int32?, logProbability: Double, score: Double)] = []
            for (index, beam) in beams.enumerated() {
                let score = beam.result.score
                guard let row = beam.stateRow else {
                    candidates.append((index, nil, 0, score))
                    continue
                }
                let rowLogits = UnsafeBufferPointer(start: logits.pointer + row * vocabulary, count: vocabulary)
                let maximum = Double(rowLogits.max() ?? 0)
                let logSum = log(rowLogits.reduce(0.0) { $0 + exp(Double($1) - maximum) }) + maximum
                for token in 0..<vocabulary {
                    let logProbability = Double(rowLogits[token]) - logSum
                    candidates.append((index, Int32(token), logProbability, score + logProbability))
                }
            }
            candidates.sort {
                $0.score != $1.score ? $0.score > $1.score : ($0.beam, $0.token ?? -1) < ($1.beam, $1.token ?? -1)
            }
            var survivors: [Hypothesis] = []
            var stateRows: [Int] = []
            var inputs: [Int32] = []
            for candidate in candidates.prefix(width) {
                let parent = beams[candidate.beam]
                guard let token = candidate.token, let parentRow = parent.stateRow else {
                    survivors.append(parent)
                    continue
                }
                let extended = Result(
                    tokens: parent.result.tokens + [token], logProbabilities: parent.result.logProbabilities + [candidate.logProbability])
                let lineCount = parent.lineEnds + (token == endOfLine ? 1 : 0)
                let finished = extended.tokens.count == length || lineEnds.map { lineCount == $0 } == true
                survivors.append(Hypothesis(result: extended, lineEnds: lineCount, stateRow: finished ? nil : inputs.count))
                if !finished {
                    stateRows.append(parentRow)
                    inputs.append(token)
                }
            }
            beams = survivors
            if !inputs.isEmpty {
                state = state.gathering(rows: stateRows)
                logits = Tensor(shape: [inputs.count, vocabulary])
                model.stepLogits(inputs: inputs, state: &state, into: logits)
            }
        }
        return beams.prefix(count).map(\.result)
    }

    /// A continuation in the beam: its tokens, the line ends among them, and its row in
    /// the batched state and logits while unfinished (nil once finished).
    private struct Hypothesis {
        var result: Result
        var lineEnds: Int
        var stateRow: Int?
    }
}
