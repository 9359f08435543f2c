import Foundation
import LMNetwork
import LMTensor

/// Writes token sequences with a model: primes the state with seed tokens, then repeatedly
/// asks a ``LogitSampler`` for the next token and feeds it back. One step is one
/// recurrent step on batch 1 with a reused logits buffer: nothing is allocated per token.
public final class TextGenerator {
    public let model: LanguageModel
    private let logits: Tensor
    private var state: RecurrentState

    public init(model: LanguageModel) {
        self.model = model
        logits = Tensor(shape: [1, model.configuration.vocabularySize])
        state = RecurrentState(zerosFor: model.configuration, batchSize: 1)
    }

    /// Resets the state and runs `seed` through the model; an empty seed starts a fresh
    /// line (the model reads `<eos>`, id `endOfLine`).
    public func prime(with seed: [Int32], endOfLine: Int32) {
        state.reset()
        for token in seed.isEmpty ? [endOfLine] : seed { model.stepLogits(inputs: [token], state: &state, into: logits) }
    }

    /// Samples up to `maxTokens` tokens after ``prime(with:endOfLine:)``, calling `emit`
    /// with each token and its log-probability under the model; stops early when `emit`
    /// returns false.
    public func generate(
        maxTokens: Int, sampler: LogitSampler, generator: inout RandomGenerator,
        emit: (_ token: Int32, _ logProbability: Double) -> Bool
    ) {
        for _ in 0..<maxTokens {
            let token = logits.withUnsafeBufferPointer { sampler.sample($0.span, generator: &generator) }
            let logProbability = logits.withUnsafeBufferPointer { Self.logSoftmax($0, at: token) }
            guard emit(Int32(token), logProbability) else { return }
            model.stepLogits(inputs: [Int32(token)], state: &state, into: logits)
        }
    }

    /// `log softmax(logits)[index]`, in Float64.
    static func logSoftmax(_ logits: UnsafeBufferPointer<Float>, at index: Int) -> Double {
        Double(logits[index]) - Softmax.logSumExp(logits)
    }
}
