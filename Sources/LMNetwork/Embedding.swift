import LMTensor

/// Token embedding: ids `[N]` → vectors `[N, E]` (N = T·B).
final class Embedding {
    /// `[V, E]`, PyTorch `encoder.weight`.
    let weight: Parameter
    var embeddingSize: Int { weight.shape[1] }

    init(weight: Parameter) { self.weight = weight }

    /// Copies the rows of `ids` into `output` `[N, E]`.
    func forward(_ ids: [Int32], output: UnsafeMutablePointer<Float>) {
        let size = embeddingSize
        for (row, id) in ids.enumerated() {
            (output + row * size).update(from: weight.value.pointer + Int(id) * size, count: size)
        }
    }

    /// Adds the rows of `tableGradient` `[V, E]` that `ids` touched (the rest are zero) into
    /// the weight gradient, each once, in order of first touch.
    func backward(_ ids: [Int32], tableGradient: UnsafePointer<Float>) {
        let size = embeddingSize
        var added = Set<Int32>()
        for id in ids where added.insert(id).inserted {
            let source = tableGradient + Int(id) * size
            if let rowGradient = weight.rowGradient {
                rowGradient.add(row: Int(id), source)
            } else {
                let target = weight.gradient.pointer + Int(id) * size
                for column in 0..<size { target[column] += source[column] }
            }
        }
    }

    /// Adds `outputGradient` `[N, E]` into the rows of the weight gradient the ids touched
    /// (a ``RowSparseGradient`` unless the table is tied to the decoder).
    func backward(_ ids: [Int32], outputGradient: UnsafePointer<Float>) {
        let size = embeddingSize
        if let rowGradient = weight.rowGradient {
            for (row, id) in ids.enumerated() { rowGradient.add(row: Int(id), outputGradient + row * size) }
            return
        }
        for (row, id) in ids.enumerated() {
            let target = weight.gradient.pointer + Int(id) * size
            let source = outputGradient + row * size
            for column in 0..<size { target[column] += source[column] }
        }
    }
}
