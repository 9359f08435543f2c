import Foundation
import LMTensor

/// The linear decoder and softmax cross-entropy, fused and computed over the `N = T·B`
/// rows in chunks of ``chunkRows`` rows so that only `[chunk, V]` logits exist at a time, however
/// large the vocabulary: per chunk, one product gives the logits, a stable log-sum-exp
/// gives the loss, the logits turn into their gradient in place, and two products add
/// `dW += dLᵀ H` and give `dH = dL W`.
///
/// Without a gradient (evaluation), the fast paths turn the loop around: the weight is
/// packed one block of ``evaluationBlockColumns`` vocabulary entries at a time
/// (``PackedMatrix``) and every row's logits for that block are computed and folded into
/// a running log-sum-exp, so each weight element is copied once per window, not once per
/// row chunk as every OpenBLAS call would, and at most `[N, block]` logits exist at once.
final class Decoder {
    /// `[V, H]`, PyTorch `decoder.weight` (the embedding matrix when tied).
    let weight: Parameter
    /// `[V]`, `decoder.bias`.
    let bias: Parameter
    /// Logits held at once: 2²¹ floats (8 MB). Chunks are as tall as that allows (at
    /// least 64 rows), since every chunk's three products read the whole `[V, H]` weight.
    var chunkElements = 1 << 21
    var chunkRows: Int { max(64, chunkElements / vocabularySize) }
    /// `[chunk, V]` logits workspace (evaluation: `[N, block]`).
    private var logits = Workspace()
    /// Vocabulary entries per packed block of the weight in evaluation: 2048 rows of W
    /// (5.3 MB packed at H = 650), few enough blocks that waking the threads for each is
    /// cheap, small enough to leave the logits of a window's rows in the caches.
    var evaluationBlockColumns = 2048
    /// The current block of W, packed transposed (`[H, block]`).
    private let packedBlock: PackedMatrix

    var vocabularySize: Int { weight.shape[0] }
    var inputSize: Int { weight.shape[1] }

    /// - Parameter packing: where evaluation packs the weight's blocks; the layer stack's
    ///   buffer may serve, since the layers and the decoder run one after another.
    init(weight: Parameter, bias: Parameter, packing: PackedMatrix.Storage = .init()) {
        self.weight = weight
        self.bias = bias
        packedBlock = PackedMatrix(storage: packing)
    }

    /// `logits [rows, V] = hidden [rows, H] · Wᵀ + b`; a single row runs on the weight's
    /// bfloat16 copy when it has one.
    func logits(_ hidden: UnsafePointer<Float>, rows: Int, into logits: UnsafeMutablePointer<Float>) {
        RowOperations.fill(logits, rows: rows, columns: vocabularySize, with: bias.value.pointer)
        if rows == 1, let reduced = weight.bfloat16 {
            reduced.multiply(hidden, beta: 1, into: logits)
            return
        }
        MatrixMultiply.gemm(
            transposeB: true, m: rows, n: vocabularySize, k: inputSize,
            a: hidden, b: weight.value.pointer, beta: 1, c: logits)
    }

    /// Sum over rows of `−log softmax(logits)[target]`, in Float64. With `hiddenGradient`,
    /// also back-propagates the loss scaled by `gradientScale` (1/N for a mean): adds into
    /// the decoder's gradients and writes `dH [N, H]`.
    func loss(
        hidden: UnsafePointer<Float>, targets: [Int32], hiddenGradient: UnsafeMutablePointer<Float>?,
        gradientScale: Float = 1
    ) -> Double {
        if hiddenGradient == nil && OptimisedPaths.enabled && packedBlock.instructionSet != .portable {
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
                MatrixMultiply.gemm(
                    transposeA: true, m: size, n: inputSize, k: rows,
                    a: logits, b: chunkHidden, beta: 1, c: weight.gradient.pointer)
                RowOperations.accumulateColumnSums(of: logits, rows: rows, columns: size, into: bias.gradient.pointer)
                MatrixMultiply.gemm(
                    m: rows, n: inputSize, k: size, a: logits, b: weight.value.pointer,
                    c: hiddenGradient + start * inputSize)
            }
            start += rows
        }
        return total
    }

    /// ``loss(hidden:targets:hiddenGradient:gradientScale:)`` without a gradient, by
    /// blocks of the vocabulary: for each block, the weight's rows are packed (split
    /// between threads), then each thread computes its share of the rows' logits for the
    /// block and folds them into per-row running maxima and sums of exponentials while they
    /// are in cache. Every row is computed alike whatever the thread count.
    private func blockedLoss(hidden: UnsafePointer<Float>, targets: [Int32]) -> Double {
        let (rows, size, width) = (targets.count, vocabularySize, inputSize)
        let blockColumns = min(evaluationBlockColumns, size)
        let logits = logits.reserve(rows * blockColumns)
        var rowSums = [RunningLogSumExp](repeating: .init(), count: rows)
        rowSums.withUnsafeMutableBufferPointer { rowSums in
            for first in stride(from: 0, to: size, by: blockColumns) {
                let columns = min(blockColumns, size - first)
                packedBlock.pack(weight.value.pointer + first * width, rows: width, columns: columns, transposed: true)
                ComputeThreads.forEachRange(of: rows, splitting: rows * columns * width >= 1 << 18) { range in
                    let blockLogits = logits + range.lowerBound * columns
                    RowOperations.fill(blockLogits, rows: range.count, columns: columns, with: bias.value.pointer + first)
                    packedBlock.multiply(
                        hidden + range.lowerBound * width, rows: range.count, beta: 1, into: blockLogits, splitting: false)
                    for row in range {
                        rowSums[row].add(
                            UnsafeBufferPointer(start: logits + row * columns, count: columns),
                            target: Int(targets[row]) - first)
                    }
                }
            }
        }
        return rowSums.reduce(0) { $0 + $1.negativeLogLikelihood }
    }

    /// One row's `log Σ exp(logit)` folded in block by block: the largest logit so far,
    /// `Σ exp(logit − maximum)` over the blocks so far (rescaled when the maximum rises),
    /// and the target's logit once its block has come.
    struct RunningLogSumExp {
        var maximum = -Float.infinity
        var sum = 0.0
        var targetLogit: Float = 0

        /// Adds a block of logits; `target` is the target's index within it (outside
        /// `0..<values.count` when it lies in another block).
        mutating func add(_ values: UnsafeBufferPointer<Float>, target: Int) {
            if values.indices.contains(target) { targetLogit = values[target] }
            let blockMaximum = Softmax.maximum(values)
            if blockMaximum > maximum {
                sum = sum * Foundation.exp(Double(maximum - blockMaximum)) + Softmax.sumOfExponentials(values, shift: blockMaximum)
                maximum = blockMaximum
            } else {
                sum += Softmax.sumOfExponentials(values, shift: maximum)
            }
        }

        /// `−log softmax[target]`.
        var negativeLogLikelihood: Double { Double(maximum - targetLogit) + log(sum) }
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
            let parts = rows * columns < 1 << 16 ? 1 : min(ComputeThreads.count, rows)
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
