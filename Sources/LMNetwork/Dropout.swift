import LMTensor

/// Inverted dropout: at training time each element is zeroed with probability `p` and the
/// rest scaled by `1 / (1 − p)`, so evaluation is the identity. Standard dropout draws a
/// new mask for every element of `[T, B, D]`; variational dropout (Gal & Ghahramani)
/// draws one `[B, D]` mask per window and applies it at every step. A mask takes one draw
/// from the model's generator, its key (``DropoutMask``).
struct Dropout {
    let probability: Float
    let variational: Bool
    /// `[T, B, D]` (or `[B, D]` when variational): 1 where an element is kept, 0 where
    /// dropped.
    private var mask: [UInt8] = []
    private var maskRows = 0

    init(probability: Float, variational: Bool) {
        self.probability = probability
        self.variational = variational
    }

    var isActive: Bool { probability > 0 }

    /// Applies a fresh mask to `values` `[T, B', D]` in place, the streams `shard` of a
    /// batch of `B` (`B' = shard.count`): their part of the `[T, B, D]` (or `[B, D]`) mask
    /// of the whole batch.
    mutating func forward(
        _ values: UnsafeMutablePointer<Float>, windowLength: Int, shard: BatchShard, width: Int,
        generator: inout RandomGenerator
    ) {
        guard isActive else { return }
        let steps = variational ? 1 : windowLength
        let rows = steps * shard.count
        if mask.count < rows * width { mask = [UInt8](repeating: 0, count: rows * width) }
        let key = generator.next()
        mask.withUnsafeMutableBufferPointer { mask in
            if shard.isWholeBatch {
                DropoutMask.fill(mask.baseAddress!, count: rows * width, probability: probability, key: key)
                return
            }
            // Step t's rows of the shard are elements (t·B + first)·D ..< (t·B + first + B')·D of the whole mask.
            let stepCount = shard.count * width
            for step in 0..<steps {
                DropoutMask.fill(
                    mask.baseAddress! + step * stepCount, first: (step * shard.total + shard.first) * width,
                    count: stepCount, probability: probability, key: key)
            }
        }
        maskRows = rows
        multiply(values, count: windowLength * shard.count * width, repeating: rows * width)
    }

    /// Multiplies `gradient` `[T, B, D]` by the mask of the last forward.
    mutating func backward(_ gradient: UnsafeMutablePointer<Float>, windowLength: Int, batchSize: Int, width: Int) {
        guard isActive else { return }
        multiply(gradient, count: windowLength * batchSize * width, repeating: maskRows * width)
    }

    /// `values[i] *= (mask[i mod period] ? 1 / (1 − p) : 0)`, split between threads, each
    /// part a run of blocks within one period (no division per element, and a loop the
    /// compiler vectorises).
    private func multiply(_ values: UnsafeMutablePointer<Float>, count: Int, repeating period: Int) {
        let factors: (dropped: Float, kept: Float) = (0, 1 / (1 - probability))
        mask.withUnsafeBufferPointer { mask in
            ComputeThreads.forEachRange(of: count, splitting: count >= 1 << 15) { range in
                var start = range.lowerBound
                while start < range.upperBound {
                    let offset = start % period
                    let length = min(period - offset, range.upperBound - start)
                    let block = values + start
                    let blockMask = mask.baseAddress! + offset
                    for index in 0..<length {
                        block[index] *= blockMask[index] == 0 ? factors.dropped : factors.kept
                    }
                    start += length
                }
            }
        }
    }
}

/// Embedding dropout (Gal & Ghahramani 2016, as in AWD-LSTM): for one window, whole rows of
/// the embedding table `[V, E]` are dropped with probability `p` and the rest scaled by
/// `1 / (1 − p)`, so a dropped word is missing at every occurrence. Applied to the looked-up
/// vectors `[N, E]` by their ids: the table itself (and a decoder tied to it) is unchanged.
struct EmbeddingDropout {
    let probability: Float
    /// `[V]`: 1 where a row is kept, 0 where dropped.
    private var mask: [UInt8] = []

    init(probability: Float) { self.probability = probability }

    var isActive: Bool { probability > 0 }

    /// Draws the window's row mask for a table of `rows` rows (one draw from `generator`).
    mutating func draw(rows: Int, generator: inout RandomGenerator) {
        guard isActive else { return }
        if mask.count != rows { mask = [UInt8](repeating: 0, count: rows) }
        let key = generator.next()
        mask.withUnsafeMutableBufferPointer { mask in
            DropoutMask.fill(mask.baseAddress!, count: rows, probability: probability, key: key)
        }
    }

    /// `vectors[r] *= mask[ids[r]] / (1 − p)` for vectors `[N, width]`: the forward pass on
    /// looked-up rows, and the backward pass on their gradients.
    func apply(_ vectors: UnsafeMutablePointer<Float>, ids: [Int32], width: Int) {
        guard isActive else { return }
        let kept = 1 / (1 - probability)
        for (row, id) in ids.enumerated() {
            let factor: Float = mask[Int(id)] == 0 ? 0 : kept
            let vector = vectors + row * width
            for column in 0..<width { vector[column] *= factor }
        }
    }
}
