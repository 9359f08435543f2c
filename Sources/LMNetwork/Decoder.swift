import Foundation
import LMTensor

/// The linear decoder and softmax cross-entropy, fused and computed over the `N = T·B`
/// rows in chunks of ``chunkRows`` rows so that only `[chunk, V]` logits exist at a time, however
/// large the vocabulary: per chunk, one product gives the logits, a stable log-sum-exp
/// gives the loss, the logits turn into their gradient in place, and two products add
/// `dW += dLᵀ H` and give `dH = dL W`.
///
/// Without a gradient (evaluation), the fast paths turn the product around: the window's
/// hidden states are packed once (``PackedMatrix``, `Hᵀ [H, N]`) and the weight is read
/// where it lies, ``evaluationBlockRows`` vocabulary entries at a time, giving the logits
/// transposed, `[block, N]`; a log-sum-exp down each column folds them into every row's
/// loss. No copy of the weight is made (an OpenBLAS call copies all of it), and at most
/// `[block, N]` logits per thread exist at once.
final class Decoder {
    /// `[V, H]`, PyTorch `decoder.weight` (the embedding matrix when tied).
    let weight: Parameter
    /// `[V]`, `decoder.bias`; nil without a bias (the adaptive softmax's head).
    let bias: Parameter?
    /// Logits held at once: 2²¹ floats (8 MB). Chunks are as tall as that allows (at
    /// least 64 rows), since every chunk's three products read the whole `[V, H]` weight.
    var chunkElements = 1 << 21
    var chunkRows: Int { max(64, chunkElements / vocabularySize) }
    /// `[chunk, V]` logits workspace (evaluation: `[block, N]` per thread).
    private var logits = Workspace()
    /// Vocabulary entries per block of the weight in evaluation: 128 rows of W, whose
    /// transposed logits for a window (`[128, N]`, 175 KB at N = 350) stay in L2 for the
    /// log-sum-exp.
    var evaluationBlockRows = 128
    /// The window's hidden states, packed transposed (`Hᵀ [H, N]`) for evaluation.
    private let packedHidden: PackedMatrix
    /// `dW += dLᵀ H` in bfloat16 while the weight has training copies (mixed precision).
    private lazy var gradientProduct = BFloat16GradientProduct()

    var vocabularySize: Int { weight.shape[0] }
    var inputSize: Int { weight.shape[1] }

    /// - Parameter packing: where evaluation packs the hidden states; the layer stack's
    ///   buffer may serve, since the layers and the decoder run one after another.
    init(weight: Parameter, bias: Parameter?, packing: PackedMatrix.Storage = .init()) {
        self.weight = weight
        self.bias = bias
        packedHidden = PackedMatrix(storage: packing)
    }

    /// `logits [rows, V] = hidden [rows, H] · Wᵀ + b`, on the weight's bfloat16 copy when it
    /// has one.
    func logits(_ hidden: UnsafePointer<Float>, rows: Int, into logits: UnsafeMutablePointer<Float>) {
        if let bias { RowOperations.fill(logits, rows: rows, columns: vocabularySize, with: bias.value.pointer) }
        weight.multiplyTransposed(hidden, rows: rows, beta: bias == nil ? 0 : 1, into: logits)
    }

    /// Sum over rows of `−log softmax(logits)[target]`, in Float64. With `hiddenGradient`,
    /// also back-propagates the loss scaled by `gradientScale` (1/N for a mean): adds into
    /// the decoder's gradients and writes `dH [N, H]`. Evaluation reads the weight in place
    /// (``blockedLoss(hidden:targets:)``) unless it has a bfloat16 copy to run on.
    func loss(
        hidden: UnsafePointer<Float>, targets: [Int32], hiddenGradient: UnsafeMutablePointer<Float>?,
        gradientScale: Float = 1
    ) -> Double {
        if hiddenGradient == nil && OptimisedPaths.enabled && packedHidden.instructionSet != .portable
            && weight.bfloat16 == nil
        {
            return blockedLoss(hidden: hidden, targets: targets)
        }
        let size = vocabularySize
        let chunkRows = min(chunkRows, targets.count)
        let logits = logits.reserve(chunkRows * size)
        var total = 0.0
        var start = 0
        while start < targets.count {
            let rows = min(chunkRows, targets.count - start)
            let chunkHidden = hidden + start * inputSize
            self.logits(chunkHidden, rows: rows, into: logits)
            total += Self.crossEntropy(
                logits, rows: rows, columns: size, targets: targets[start..<(start + rows)],
                gradientScale: hiddenGradient == nil ? nil : gradientScale)
            if let hiddenGradient {
                addWeightGradient(
                    logits, rows: rows, columns: size, times: chunkHidden, columns: inputSize,
                    into: weight.gradient.pointer, mixed: weight.bfloat16Transposed == nil ? nil : gradientProduct)
                if let bias {
                    RowOperations.accumulateColumnSums(of: logits, rows: rows, columns: size, into: bias.gradient.pointer)
                }
                weight.multiply(logits, rows: rows, beta: 0, into: hiddenGradient + start * inputSize)
            }
            start += rows
        }
        return total
    }

    /// ``loss(hidden:targets:hiddenGradient:gradientScale:)`` without a gradient, by
    /// blocks of the vocabulary: `Hᵀ` is packed once; then each thread takes a run of
    /// blocks, computes a block's logits `W_block · Hᵀ + b` `[block, N]` with the weight
    /// read in place, and reduces each column (one row of the batch) to its maximum and sum
    /// of exponentials. A vocabulary of fewer blocks than threads (a character model's) is
    /// split by columns instead: each thread takes every block for a range of the rows. The
    /// blocks' partial sums are combined in block order, so the loss does not depend on the
    /// thread count.
    private func blockedLoss(hidden: UnsafePointer<Float>, targets: [Int32]) -> Double {
        let (rows, size, width) = (targets.count, vocabularySize, inputSize)
        packedHidden.pack(hidden, rows: width, columns: rows, transposed: true)
        let blockRows = min(evaluationBlockRows, size)
        let blocks = (size + blockRows - 1) / blockRows
        let tiles = packedHidden.tiles
        let threads = rows * size * width < 1 << 18 ? 1 : ComputeThreads.forNextJob
        let byColumns = blocks < threads
        let parts = min(threads, byColumns ? tiles : blocks)
        let logits = logits.reserve(parts * blockRows * rows)
        let (weight, bias) = (weight.value.pointer, bias?.value.pointer)
        var maxima = [Float](repeating: 0, count: blocks * rows)
        var sums = [Double](repeating: 0, count: blocks * rows)
        var targetLogits = [Float](repeating: 0, count: rows)
        maxima.withUnsafeMutableBufferPointer { maxima in
            sums.withUnsafeMutableBufferPointer { sums in
                targetLogits.withUnsafeMutableBufferPointer { targetLogits in
                    ComputeThreads.forEach(parts: parts) { part in
                        let blockLogits = logits + part * blockRows * rows
                        let ownBlocks = byColumns ? 0..<blocks : (blocks * part / parts)..<(blocks * (part + 1) / parts)
                        let ownTiles = byColumns ? packedHidden.tiles(part, of: parts) : 0..<tiles
                        let columns = packedHidden.columns(ofTiles: ownTiles)
                        for block in ownBlocks {
                            let first = block * blockRows
                            let count = min(blockRows, size - first)
                            for entry in 0..<count {
                                (blockLogits + entry * rows + columns.lowerBound).update(
                                    repeating: bias?[first + entry] ?? 0, count: columns.count)
                            }
                            packedHidden.multiplyDirect(
                                weight + first * width, rows: count, beta: 1, into: blockLogits, tiles: ownTiles)
                            Softmax.columnLogSumExp(
                                blockLogits + columns.lowerBound, rows: count, columns: columns.count, ld: rows,
                                maxima: maxima.baseAddress! + block * rows + columns.lowerBound,
                                sums: sums.baseAddress! + block * rows + columns.lowerBound)
                            for row in columns where (first..<(first + count)).contains(Int(targets[row])) {
                                targetLogits[row] = blockLogits[(Int(targets[row]) - first) * rows + row]
                            }
                        }
                    }
                }
            }
        }
        var total = 0.0
        for row in 0..<rows {
            var running = RunningLogSumExp()
            for block in 0..<blocks { running.add(maximum: maxima[block * rows + row], sum: sums[block * rows + row]) }
            total += Double(running.maximum - targetLogits[row]) + log(running.sum)
        }
        return total
    }

    /// A `log Σ exp` folded in part by part: the largest value so far and the sum of
    /// `exp(value − maximum)` over the parts so far, rescaled when the maximum rises.
    struct RunningLogSumExp {
        var maximum = -Float.infinity
        var sum = 0.0

        /// Adds a part given as its own maximum and its sum of `exp(value − partMaximum)`.
        mutating func add(maximum partMaximum: Float, sum partSum: Double) {
            if partMaximum > maximum {
                sum = sum * Foundation.exp(Double(maximum - partMaximum)) + partSum
                maximum = partMaximum
            } else {
                sum += partSum * Foundation.exp(Double(partMaximum - maximum))
            }
        }
    }

    /// Sum over rows of `−log softmax(row)[target]`, in Float64, the rows split between
    /// ``ComputeThreads``; the per-row losses are added in row order, so the total does not
    /// depend on the thread count. With `gradientScale`, each row becomes
    /// `(softmax − onehot(target)) · gradientScale` in place, exponentiating once.
    static func crossEntropy(
        _ logits: UnsafeMutablePointer<Float>, rows: Int, columns: Int, targets: ArraySlice<Int32>,
        gradientScale: Float?
    ) -> Double {
        var rowLosses = [Double](repeating: 0, count: rows)
        rowLosses.withUnsafeMutableBufferPointer { rowLosses in
            let parts = rows * columns < 1 << 16 ? 1 : min(ComputeThreads.forNextJob, rows)
            ComputeThreads.forEach(parts: parts) { part in
                for row in (rows * part / parts)..<(rows * (part + 1) / parts) {
                    let values = UnsafeMutableBufferPointer(start: logits + row * columns, count: columns)
                    let target = Int(targets[targets.startIndex + row])
                    let maximum = Softmax.maximum(UnsafeBufferPointer(values))
                    let targetLogit = values[target]
                    guard let gradientScale else {
                        rowLosses[row] =
                            Double(maximum - targetLogit)
                            + log(Softmax.sumOfExponentials(UnsafeBufferPointer(values), shift: maximum))
                        continue
                    }
                    let sum = Softmax.exponentiate(values, shift: maximum)
                    rowLosses[row] = log(sum) + Double(maximum - targetLogit)
                    let scale = gradientScale / Float(sum)
                    Activations.scale(values.baseAddress!, count: columns, by: scale)
                    values[target] -= gradientScale
                }
            }
        }
        return rowLosses.reduce(0, +)
    }
}
