import LMTensor

/// The hidden state a model carries from one window to the next: per layer `h` `[B, H]`,
/// and `c` `[B, H]` for the LSTM. Named `h_l{k}` and `c_l{k}` in checkpoints.
public struct RecurrentState {
    /// `layers[k]` holds layer k's tensors: `[h]` or `[h, c]`.
    public var layers: [[Tensor]]
    public private(set) var batchSize: Int

    /// Zero state for `configuration` with `batchSize` streams.
    public init(zerosFor configuration: ModelConfiguration, batchSize: Int) {
        self.batchSize = batchSize
        layers = (0..<configuration.layers).map { index in
            (0..<configuration.cell.stateCount).map { _ in
                Tensor(shape: [batchSize, configuration.hiddenSize(ofLayer: index)])
            }
        }
    }

    /// Sets every state tensor to zero (the start of an epoch or a text).
    public func reset() {
        for layer in layers { for tensor in layer { tensor.zero() } }
    }

    /// The tensors by name, for checkpoints.
    public var namedValues: [String: [Float]] {
        var values: [String: [Float]] = [:]
        for (index, layer) in layers.enumerated() {
            for (slot, tensor) in layer.enumerated() { values["\(Self.names[slot])_l\(index)"] = tensor.values }
        }
        return values
    }

    /// Restores what ``namedValues`` returned.
    /// - Throws: ``StateMismatch`` naming a missing or wrongly sized tensor.
    public func load(_ values: [String: [Float]]) throws(StateMismatch) {
        for (index, layer) in layers.enumerated() {
            for (slot, tensor) in layer.enumerated() {
                let name = "\(Self.names[slot])_l\(index)"
                guard let stored = values[name], stored.count == tensor.count else { throw StateMismatch(name: name) }
                tensor.assign(stored)
            }
        }
    }

    private static let names = ["h", "c"]

    /// Copies rows `rows` of every tensor into `other`, a state of `rows.count` streams.
    package func copyRows(_ rows: Range<Int>, into other: RecurrentState) {
        precondition(other.batchSize == rows.count && rows.upperBound <= batchSize, "\(rows) are not a state's rows")
        for (own, others) in zip(layers.joined(), other.layers.joined()) {
            let width = own.count / batchSize
            others.pointer.update(from: own.pointer + rows.lowerBound * width, count: rows.count * width)
        }
    }

    /// Copies every row of this state into `other`'s rows from `first` on.
    package func copyRows(into other: RecurrentState, at first: Int) {
        precondition(first + batchSize <= other.batchSize, "\(batchSize) rows from \(first) do not fit \(other.batchSize)")
        for (own, others) in zip(layers.joined(), other.layers.joined()) {
            let width = own.count / batchSize
            (others.pointer + first * width).update(from: own.pointer, count: batchSize * width)
        }
    }

    /// A new state whose row `i` is this state's row `rows[i]` (reordering beams).
    public func gathering(rows: [Int]) -> RecurrentState {
        var gathered = self
        gathered.layers = layers.map { tensors in
            tensors.map { tensor in
                let width = tensor.count / batchSize
                let result = Tensor(shape: [rows.count, width])
                for (target, source) in rows.enumerated() {
                    (result.pointer + target * width).update(from: tensor.pointer + source * width, count: width)
                }
                return result
            }
        }
        gathered.batchSize = rows.count
        return gathered
    }
}

public struct StateMismatch: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "recurrent state '\(name)' is missing or has the wrong size" }
}
