/// The recurrent cell of every layer.
public enum CellKind: String, Codable, CaseIterable, Sendable {
    case lstm
    case gru
    case rnnTanh = "rnn-tanh"
    case rnnReLU = "rnn-relu"

    /// Gate blocks in the fused affine transform: `G = gates × H`.
    public var gates: Int {
        switch self {
        case .lstm: 4
        case .gru: 3
        case .rnnTanh, .rnnReLU: 1
        }
    }

    /// State tensors per layer: `h`, and `c` for the LSTM.
    public var stateCount: Int { self == .lstm ? 2 : 1 }
}

/// The architecture of a ``LanguageModel``: embedding → `layers` recurrent layers →
/// linear decoder, as in the PyTorch word-language-model example.
public struct ModelConfiguration: Codable, Equatable, Sendable {
    public var vocabularySize: Int
    public var embeddingSize = 200
    public var hiddenSize = 200
    public var layers = 2
    public var cell = CellKind.lstm
    /// LSTM only: gates also see the cell (i, f see `c_{t-1}`, o sees `c_t`).
    public var peephole = false
    /// Dropout probability on the embedding output, between layers and on the last
    /// layer's output.
    public var dropout: Float = 0.2
    /// One dropout mask per window and sequence, shared by all time steps.
    public var variationalDropout = false
    /// Decoder weight is the embedding matrix (needs `embeddingSize == hiddenSize`).
    public var tieWeights = false

    public init(
        vocabularySize: Int, embeddingSize: Int = 200, hiddenSize: Int = 200, layers: Int = 2,
        cell: CellKind = .lstm, peephole: Bool = false, dropout: Float = 0.2,
        variationalDropout: Bool = false, tieWeights: Bool = false
    ) {
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.cell = cell
        self.peephole = peephole
        self.dropout = dropout
        self.variationalDropout = variationalDropout
        self.tieWeights = tieWeights
    }

    /// How many parameters the model holds (tied weights counted once), or nil when the
    /// count does not fit in an `Int`: what a forged configuration would ask to allocate.
    public var parameterCount: Int? {
        /// Σ Π terms, or nil on overflow.
        func total(_ terms: [[Int]]) -> Int? {
            var sum = 0
            for term in terms {
                var product = 1
                for factor in term {
                    let (next, overflow) = product.multipliedReportingOverflow(by: factor)
                    if overflow { return nil }
                    product = next
                }
                let (next, overflow) = sum.addingReportingOverflow(product)
                if overflow { return nil }
                sum = next
            }
            return sum
        }
        let gates = cell.gates
        func layer(inputSize: Int) -> Int? {
            // W_ih, W_hh, b_ih and b_hh, peephole weights.
            total([[gates, hiddenSize, inputSize], [gates, hiddenSize, hiddenSize], [2, gates, hiddenSize], [peephole ? 3 : 0, hiddenSize]])
        }
        // Encoder, decoder bias, decoder weight unless tied.
        guard let outer = total([[vocabularySize, embeddingSize], [vocabularySize], [tieWeights ? 0 : vocabularySize, hiddenSize]]),
            let first = layer(inputSize: embeddingSize), let later = layer(inputSize: hiddenSize)
        else { return nil }
        return total([[outer], [first], [max(0, layers - 1), later]])
    }

    /// - Throws: ``ConfigurationError`` naming the first value out of range.
    public func validate() throws(ConfigurationError) {
        if vocabularySize < 2 { throw .outOfRange("vocabulary size", "\(vocabularySize)", "at least 2") }
        if embeddingSize < 1 { throw .outOfRange("embedding size", "\(embeddingSize)", "at least 1") }
        if hiddenSize < 1 { throw .outOfRange("hidden size", "\(hiddenSize)", "at least 1") }
        if layers < 1 { throw .outOfRange("layers", "\(layers)", "at least 1") }
        if !(dropout >= 0 && dropout < 1) { throw .outOfRange("dropout", "\(dropout)", "in [0, 1)") }
        if peephole && cell != .lstm { throw .incompatible("peephole connections need the LSTM cell") }
        if tieWeights && embeddingSize != hiddenSize {
            throw .incompatible("tied weights need embedding size \(embeddingSize) to equal hidden size \(hiddenSize)")
        }
    }
}

public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case outOfRange(String, String, String)
    case incompatible(String)

    public var description: String {
        switch self {
        case .outOfRange(let name, let value, let range): "\(name) \(value) is out of range (\(range))"
        case .incompatible(let reason): reason
        }
    }
}
