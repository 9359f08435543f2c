import LMTensor

/// Token embedding: ids `[N]` → vectors `[N, E]` (N = T·B).
final class Embedding {
    /// `[V, E]`, PyTorch `encoder.weight`.
    let weight: Parameter
    var embeddingSize: Int { weight.shape[1] }

    init(weight: Parameter) { self.weight = weight }

    /// Copies the rows of `ids` into `output` `[N, E]`, the rows split between threads when
    /// there are many.
    func forward(_ ids: [Int32], output: UnsafeMutablePointer<Float>) {
        let size = embeddingSize
        let table = weight.value.pointer
        ComputeThreads.forEachRange(of: ids.count, splitting: ids.count * size >= 1 << 16) { rows in
            for row in rows { (output + row * size).update(from: table + Int(ids[row]) * size, count: size) }
        }
    }

    /// Adds the rows of `tableGradient` `[V, E]` that `ids` touched (the rest are zero) into
    /// the weight gradient, each once, in order of first touch.
    func backward(_ ids: [Int32], tableGradient: UnsafePointer<Float>) {
        var added = Set<Int32>()
        for id in ids where added.insert(id).inserted { addGradient(row: Int(id), tableGradient + Int(id) * embeddingSize) }
    }

    /// Adds `outputGradient` `[N, E]` into the rows of the weight gradient the ids touched
    /// (a ``RowSparseGradient`` unless the table is tied to the decoder).
    func backward(_ ids: [Int32], outputGradient: UnsafePointer<Float>) {
        for (row, id) in ids.enumerated() { addGradient(row: Int(id), outputGradient + row * embeddingSize) }
    }

    /// `gradient[row] += source` `[E]`, into the row-sparse gradient when there is one.
    private func addGradient(row: Int, _ source: UnsafePointer<Float>) {
        if let rowGradient = weight.rowGradient {
            rowGradient.add(row: row, source)
            return
        }
        let target = weight.gradient.pointer + row * embeddingSize
        for column in 0..<embeddingSize { target[column] += source[column] }
    }
}
