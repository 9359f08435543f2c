import Foundation
import LMTensor

/// The linear decoder and softmax cross-entropy, fused and computed over the `N = T·B`
/// rows in chunks of ``chunkRows`` rows so that only `[chunk, V]` logits exist at a time, however
/// large the vocabulary: per chunk, one product gives the logits, a stable log-sum-exp
/// gives the loss, the logits turn into their gradient in place, and two products add
/// `dW += dLᵀ H` and give `dH = dL W`.
final class Decoder {
    /// `[V, H]`, PyTorch `decoder.weight` (the embedding matrix when tied).
    let weight: Parameter
    /// `[V]`, `decoder.bias`.
    let bias: Parameter
    /// Logits held at once: 2²¹ floats (8 MB). Chunks are as tall as that allows (at
    /// least 64 rows), since every chunk's three products read the whole `[V, H]` weight.
    var chunkElements = 1 << 21
    var chunkRows: Int { max(64, chunkElements / vocabularySize) }
    /// `[chunk, V]` logits workspace.
    private var logits = Workspace()

    var vocabularySize: Int { weight.shape[0] }
    var inputSize: Int { weight.shape[1] }

    init(weight: Parameter, bias: Parameter) {
        self.weight = weight
        self.bias = bias
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
