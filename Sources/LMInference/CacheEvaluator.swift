import Foundation
import LMNetwork
import LMTensor
import LMText

/// Held-out perplexity with a neural cache (Grave, Joulin & Usunier 2017, "Improving
/// Neural Language Models with a Continuous Cache"; the pointer AWD-LSTM evaluates with):
/// the model's distribution is mixed with one over the tokens that followed the states of
/// the last `N` positions of the same stream most like the current one,
///
///     p(w) = (1 − λ) p_model(w) + λ p_cache(w),
///     p_cache(w) = Σ_{i : y_i = w} exp(θ h_t · h_i) / Σ_i exp(θ h_t · h_i),
///
/// over the `N` positions `i` before `t` (fewer at a stream's start; at its first position
/// p = p_model), `h` the top layer's outputs `[H_last]` and `y_i` the token that followed
/// position `i`. A word the text has just used, a name above all, becomes likely again.
/// Nothing is trained: `θ` and `λ` are chosen on held-out text (``tune(on:)``), and each
/// token's probability depends only on the text before it, so the figure is a perplexity
/// like any other. The streams, windows and tokens scored are ``Evaluator``'s.
public struct CacheEvaluator {
    public let model: LanguageModel
    /// `N`: the positions each stream's cache holds.
    public let size: Int
    public let batchSize: Int
    public let windowLength: Int

    public init(model: LanguageModel, size: Int, batchSize: Int = 1, windowLength: Int = 35) {
        precondition(size > 0 && batchSize > 0 && windowLength > 0, "cache size, batch size and window length must be positive")
        self.model = model
        self.size = size
        self.batchSize = batchSize
        self.windowLength = windowLength
    }

    /// `θ` and `λ` of the mixture.
    public struct Mixture: Equatable, Sendable {
        public var theta: Float
        public var lambda: Double

        public init(theta: Float, lambda: Double) {
            self.theta = theta
            self.lambda = lambda
        }
    }

    /// The probabilities of the scored tokens, in ``Evaluator``'s order: the model's, and
    /// the cache's for each `θ` asked for (NaN where the cache is still empty).
    public struct TokenProbabilities {
        public var model: [Double] = []
        /// `[θ][token]`.
        public var cache: [[Double]]

        /// `Σ −log p` under the mixture of the cache of `thetas[thetaIndex]` at `lambda`.
        public func negativeLogLikelihood(thetaIndex: Int, lambda: Double) -> Double {
            var total = 0.0
            for (index, modelProbability) in model.enumerated() {
                let cacheProbability = cache[thetaIndex][index]
                let p = cacheProbability.isNaN ? modelProbability : (1 - lambda) * modelProbability + lambda * cacheProbability
                total -= log(p)
            }
            return total
        }

        /// `Σ −log p_model`: the figure without the cache.
        public var modelNegativeLogLikelihood: Double { model.reduce(0) { $0 - log($1) } }
    }

    /// Scores `tokens` with the model and the caches of every `θ` in `thetas`.
    public func probabilities(of tokens: [Int32], thetas: [Float]) -> TokenProbabilities {
        var result = TokenProbabilities(cache: thetas.map { _ in [] })
        guard let batcher = try? Batcher(tokens: tokens, batchSize: batchSize, windowLength: windowLength) else {
            return result
        }
        result.model.reserveCapacity(batcher.tokensPerEpoch)
        for index in thetas.indices { result.cache[index].reserveCapacity(batcher.tokensPerEpoch) }
        let width = model.configuration.outputSize
        var caches = (0..<batchSize).map { _ in StreamCache(size: size, windowLength: windowLength, width: width) }
        var state = RecurrentState(zerosFor: model.configuration, batchSize: batchSize)
        var window = Batcher.Window()
        let vocabulary = model.configuration.vocabularySize
        let logits = Tensor(shape: [windowLength * batchSize, vocabulary])
        let outputs = Tensor(shape: [windowLength * batchSize, width])
        var streamTargets = [Int32](repeating: 0, count: windowLength)
        var modelProbabilities = [Double](repeating: 0, count: windowLength * batchSize)
        var cacheProbabilities = thetas.map { _ in [Double](repeating: .nan, count: windowLength * batchSize) }
        for index in 0..<batcher.windowCount {
            batcher.fill(&window, index: index)
            let rows = window.length * batchSize
            model.logits(
                inputs: window.inputs, windowLength: window.length, batchSize: batchSize, state: &state, into: logits,
                outputs: outputs)
            for row in 0..<rows {
                let scores = UnsafeBufferPointer(start: logits.pointer + row * vocabulary, count: vocabulary)
                let target = Int(window.targets[row])
                modelProbabilities[row] = exp(Double(scores[target]) - Softmax.logSumExp(scores))
            }
            for stream in 0..<batchSize {
                for step in 0..<window.length { streamTargets[step] = window.targets[step * batchSize + stream] }
                caches[stream].score(
                    window: outputs.pointer + stream * width, rowStride: batchSize * width, length: window.length,
                    targets: streamTargets, thetas: thetas
                ) { step, thetaIndex, probability in
                    cacheProbabilities[thetaIndex][step * batchSize + stream] = probability
                }
            }
            result.model += modelProbabilities[..<rows]
            for thetaIndex in thetas.indices { result.cache[thetaIndex] += cacheProbabilities[thetaIndex][..<rows] }
        }
        return result
    }

    /// The cross-entropy of `tokens` under `mixture`, and without the cache.
    public func evaluate(_ tokens: [Int32], mixture: Mixture) -> (withCache: Evaluator.Result, withoutCache: Evaluator.Result) {
        let probabilities = probabilities(of: tokens, thetas: [mixture.theta])
        let count = probabilities.model.count
        return (
            Evaluator.Result(
                negativeLogLikelihood: probabilities.negativeLogLikelihood(thetaIndex: 0, lambda: mixture.lambda),
                tokens: count),
            Evaluator.Result(negativeLogLikelihood: probabilities.modelNegativeLogLikelihood, tokens: count)
        )
    }

    /// The `θ` tried by ``tune(on:)``: 1/16 to 4 in steps of √2.
    public static let thetaGrid: [Float] = (0...12).map { 0.0625 * Float(pow(2, Double($0) / 2)) }

    /// The mixture that gives `tokens` (held-out text, not the text to be scored) the lowest
    /// cross-entropy: each `θ` of ``thetaGrid``, each with its best `λ` in [0, 1] (the
    /// cross-entropy is convex in `λ`: a golden-section search, to 1e-4).
    public func tune(on tokens: [Int32]) -> Mixture {
        let probabilities = probabilities(of: tokens, thetas: Self.thetaGrid)
        var best = (mixture: Mixture(theta: Self.thetaGrid[0], lambda: 0), loss: Double.infinity)
        for (thetaIndex, theta) in Self.thetaGrid.enumerated() {
            let lambda = Self.minimum(in: 0...1) { probabilities.negativeLogLikelihood(thetaIndex: thetaIndex, lambda: $0) }
            let loss = probabilities.negativeLogLikelihood(thetaIndex: thetaIndex, lambda: lambda)
            if loss < best.loss { best = (Mixture(theta: theta, lambda: lambda), loss) }
        }
        return best.mixture
    }

    /// Where the convex `f` is lowest in `interval`, by golden-section search to 1e-4.
    static func minimum(in interval: ClosedRange<Double>, of f: (Double) -> Double) -> Double {
        let ratio = (5.0.squareRoot() - 1) / 2
        var (low, high) = (interval.lowerBound, interval.upperBound)
        var (left, right) = (high - ratio * (high - low), low + ratio * (high - low))
        var (leftValue, rightValue) = (f(left), f(right))
        while high - low > 1e-4 {
            if leftValue <= rightValue {
                (high, right, rightValue) = (right, left, leftValue)
                left = high - ratio * (high - low)
                leftValue = f(left)
            } else {
                (low, left, leftValue) = (left, right, rightValue)
                right = low + ratio * (high - low)
                rightValue = f(right)
            }
        }
        let middle = (low + high) / 2
        // The ends are candidates too: with λ = 0 the cache is off.
        return [interval.lowerBound, middle].min { f($0) < f($1) }!
    }
}

/// One stream's cache: the top layer's outputs `h_i` `[H]` and the tokens that followed
/// them, for the stream's last `N` positions and the current window's, in a ring of
/// `N + T` slots indexed by position.
private struct StreamCache {
    let size: Int
    let capacity: Int
    let width: Int
    /// `[N + T, H]`.
    var states: [Float]
    var targets: [Int32]
    /// Positions of this stream scored so far.
    var positions = 0
    /// `[T, N + T]`: `h_t · h_i` for the window's positions against every slot.
    var scores: [Float]
    /// One row of ``scores`` for the positions in the cache, oldest first, and those of
    /// them followed by the current target.
    var cached: [Float]
    var matching: [Float]

    init(size: Int, windowLength: Int, width: Int) {
        self.size = size
        capacity = size + windowLength
        self.width = width
        states = [Float](repeating: 0, count: capacity * width)
        targets = [Int32](repeating: 0, count: capacity)
        scores = [Float](repeating: 0, count: windowLength * capacity)
        cached = [Float](repeating: 0, count: size)
        matching = [Float](repeating: 0, count: size)
    }

    /// Adds the window's `length` positions (their outputs `length` rows `rowStride` apart
    /// from `window`, and their `targets`), then reports each position's
    /// `p_cache(target)` for each `θ` of `thetas` to `report(step, thetaIndex, p)`; a
    /// position with nothing cached before it gets none.
    mutating func score(
        window: UnsafePointer<Float>, rowStride: Int, length: Int, targets windowTargets: [Int32], thetas: [Float],
        report: (Int, Int, Double) -> Void
    ) {
        let first = positions
        for step in 0..<length {
            let slot = (first + step) % capacity
            states.withUnsafeMutableBufferPointer { states in
                (states.baseAddress! + slot * width).update(from: window + step * rowStride, count: width)
            }
            targets[slot] = windowTargets[step]
        }
        positions += length
        let filled = min(positions, capacity)
        // scores [T, filled] = h_window [T, H] · statesᵀ [H, filled]
        states.withUnsafeBufferPointer { states in
            scores.withUnsafeMutableBufferPointer { scores in
                MatrixMultiply.gemm(
                    transposeB: true, m: length, n: filled, k: width, a: window, lda: rowStride,
                    b: states.baseAddress!, ldb: width, c: scores.baseAddress!, ldc: capacity)
            }
        }
        for step in 0..<length {
            let position = first + step
            let oldest = max(0, position - size)
            guard oldest < position else { continue }
            let count = position - oldest
            let target = windowTargets[step]
            var matches = 0
            for offset in 0..<count {
                let slot = (oldest + offset) % capacity
                cached[offset] = scores[step * capacity + slot]
                if targets[slot] == target {
                    matching[matches] = cached[offset]
                    matches += 1
                }
            }
            cached.withUnsafeBufferPointer { cached in
                matching.withUnsafeBufferPointer { matching in
                    let row = UnsafeBufferPointer(rebasing: cached[..<count])
                    let followed = UnsafeBufferPointer(rebasing: matching[..<matches])
                    let maximum = Softmax.maximum(row)
                    for (thetaIndex, theta) in thetas.enumerated() {
                        // The same exponentials in both sums, so that p_cache ≤ 1.
                        let total = Softmax.sumOfExponentials(row, shift: maximum, scale: theta)
                        let followedTotal = Softmax.sumOfExponentials(followed, shift: maximum, scale: theta)
                        report(step, thetaIndex, followedTotal / total)
                    }
                }
            }
        }
    }
}
