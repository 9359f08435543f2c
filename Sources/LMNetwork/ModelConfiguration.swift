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

/// How the decoder turns the last layer's outputs into a distribution over the vocabulary.
public enum SoftmaxKind: String, Codable, CaseIterable, Sendable {
    /// One linear layer to every token, then a softmax (``Decoder``).
    case full
    /// Grave et al. 2017's head and tail clusters (``AdaptiveSoftmax``), cut at
    /// ``ModelConfiguration/cutoffs``.
    case adaptive
}

/// The architecture of a ``LanguageModel``: embedding → `layers` recurrent layers →
/// linear decoder, as in the PyTorch word-language-model example, and how training
/// regularises it.
public struct ModelConfiguration: Codable, Equatable, Sendable {
    public var vocabularySize: Int
    public var embeddingSize = 200
    public var hiddenSize = 200
    public var layers = 2
    public var cell = CellKind.lstm
    /// LSTM only: gates also see the cell (i, f see `c_{t-1}`, o sees `c_t`).
    public var peephole = false
    /// Dropout probability on the embedding output, between layers and on the last
    /// layer's output, unless ``inputDropout``, ``hiddenDropout`` or ``outputDropout``
    /// sets one of them.
    public var dropout: Float = 0.2
    /// One dropout mask per window and sequence, shared by all time steps.
    public var variationalDropout = false
    /// Decoder weight is the embedding matrix (needs `embeddingSize` equal to the last
    /// layer's width).
    public var tieWeights = false
    /// The last layer's width when it differs from ``hiddenSize``: a wide stack whose top
    /// narrows to a tied embedding (AWD-LSTM's 400 / 1150 / 400). Nil: ``hiddenSize``.
    public var lastHiddenSize: Int?

    /// The decoder: the full softmax, or the adaptive softmax cut at ``cutoffs``.
    public var softmax = SoftmaxKind.full
    /// Adaptive softmax only: the first id of each tail cluster, increasing, from 1 to
    /// `V − 1`. Ids below the first form the head; ids are by frequency, most frequent first.
    public var cutoffs: [Int] = []

    /// Adaptive softmax: each tail cluster's projection is this many times narrower than
    /// the one before, the first this many times narrower than the last layer.
    public static let tailDivisor = 4

    /// Adaptive softmax: tail cluster `i`'s projection width, `H_last / 4^(i+1)` (PyTorch's
    /// `in_features // div_value ** (i + 1)` with `div_value` 4).
    public var tailWidths: [Int] {
        var width = outputSize
        return cutoffs.map { _ in
            width /= Self.tailDivisor
            return width
        }
    }

    /// Layer `index`'s width (its state and output).
    public func hiddenSize(ofLayer index: Int) -> Int {
        index == layers - 1 ? lastHiddenSize ?? hiddenSize : hiddenSize
    }

    /// The last layer's width: what the decoder reads.
    public var outputSize: Int { hiddenSize(ofLayer: layers - 1) }

    /// Layer `index`'s input width.
    public func inputSize(ofLayer index: Int) -> Int {
        index == 0 ? embeddingSize : hiddenSize(ofLayer: index - 1)
    }

    // The regularisers of AWD-LSTM (Merity, Keskar & Socher 2017). Each acts in training
    // only; evaluation and generation run the plain network.

    /// Dropout on the embedding output (nil: ``dropout``).
    public var inputDropout: Float?
    /// Dropout between recurrent layers (nil: ``dropout``).
    public var hiddenDropout: Float?
    /// Dropout on the last layer's output, before the decoder (nil: ``dropout``).
    public var outputDropout: Float?
    /// DropConnect on every layer's recurrent weight `W_hh`, one mask per window
    /// (Wan et al. 2013; AWD-LSTM's weight drop).
    public var weightDrop: Float = 0
    /// Drops whole rows of the embedding table, one mask per window, the rest scaled by
    /// `1 / (1 − p)` (Gal & Ghahramani 2016): a dropped word is dropped at every occurrence.
    public var embeddingDropout: Float = 0
    /// Activation regularisation α: adds `α · mean(ĥ²)` over the last layer's dropped-out
    /// outputs `ĥ` `[T, B, H]` to the training loss.
    public var activationPenalty: Float = 0
    /// Temporal activation regularisation β: adds `β · mean((h_{t+1} − h_t)²)` over the
    /// last layer's outputs before dropout.
    public var temporalActivationPenalty: Float = 0

    /// The dropout rates applied to the embedding output, between layers and before the decoder.
    public var dropoutRates: (input: Float, hidden: Float, output: Float) {
        (inputDropout ?? dropout, hiddenDropout ?? dropout, outputDropout ?? dropout)
    }

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

    /// Reads a configuration; the regularisers added after the first release are optional
    /// (absent: off), so older model directories still load.
    public init(from decoder: any Swift.Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try values.decode(Int.self, forKey: .vocabularySize)
        embeddingSize = try values.decode(Int.self, forKey: .embeddingSize)
        hiddenSize = try values.decode(Int.self, forKey: .hiddenSize)
        layers = try values.decode(Int.self, forKey: .layers)
        cell = try values.decode(CellKind.self, forKey: .cell)
        peephole = try values.decode(Bool.self, forKey: .peephole)
        dropout = try values.decode(Float.self, forKey: .dropout)
        variationalDropout = try values.decode(Bool.self, forKey: .variationalDropout)
        tieWeights = try values.decode(Bool.self, forKey: .tieWeights)
        lastHiddenSize = try values.decodeIfPresent(Int.self, forKey: .lastHiddenSize)
        inputDropout = try values.decodeIfPresent(Float.self, forKey: .inputDropout)
        hiddenDropout = try values.decodeIfPresent(Float.self, forKey: .hiddenDropout)
        outputDropout = try values.decodeIfPresent(Float.self, forKey: .outputDropout)
        weightDrop = try values.decodeIfPresent(Float.self, forKey: .weightDrop) ?? 0
        embeddingDropout = try values.decodeIfPresent(Float.self, forKey: .embeddingDropout) ?? 0
        activationPenalty = try values.decodeIfPresent(Float.self, forKey: .activationPenalty) ?? 0
        temporalActivationPenalty = try values.decodeIfPresent(Float.self, forKey: .temporalActivationPenalty) ?? 0
        softmax = try values.decodeIfPresent(SoftmaxKind.self, forKey: .softmax) ?? .full
        cutoffs = try values.decodeIfPresent([Int].self, forKey: .cutoffs) ?? []
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
        func layer(inputSize: Int, width: Int) -> Int? {
            // W_ih, W_hh, b_ih and b_hh, peephole weights.
            total([[gates, width, inputSize], [gates, width, width], [2, gates, width], [peephole ? 3 : 0, width]])
        }
        // Encoder; decoder bias and weight unless tied, or the adaptive softmax's head and tails.
        let decoder: [[Int]] =
            switch softmax {
            case .full: [[vocabularySize], [tieWeights ? 0 : vocabularySize, outputSize]]
            case .adaptive:
                [[(cutoffs.first ?? 0) + cutoffs.count, outputSize]]
                    + zip(tailWidths, zip(cutoffs, cutoffs.dropFirst() + [vocabularySize])).flatMap { width, ids in
                        [[width, outputSize], [ids.1 - ids.0, width]]
                    }
            }
        guard let outer = total([[vocabularySize, embeddingSize]] + decoder),
            layers >= 1, let first = layer(inputSize: embeddingSize, width: hiddenSize(ofLayer: 0)),
            let middle = layer(inputSize: hiddenSize, width: hiddenSize),
            let last = layer(inputSize: inputSize(ofLayer: layers - 1), width: outputSize)
        else { return nil }
        return layers == 1 ? total([[outer], [first]]) : total([[outer], [first], [max(0, layers - 2), middle], [last]])
    }

    /// - Throws: ``ConfigurationError`` naming the first value out of range.
    public func validate() throws(ConfigurationError) {
        if vocabularySize < 2 { throw .outOfRange("vocabulary size", "\(vocabularySize)", "at least 2") }
        if embeddingSize < 1 { throw .outOfRange("embedding size", "\(embeddingSize)", "at least 1") }
        if hiddenSize < 1 { throw .outOfRange("hidden size", "\(hiddenSize)", "at least 1") }
        if let lastHiddenSize, lastHiddenSize < 1 { throw .outOfRange("last hidden size", "\(lastHiddenSize)", "at least 1") }
        if layers < 1 { throw .outOfRange("layers", "\(layers)", "at least 1") }
        let probabilities: [(String, Float)] = [
            ("dropout", dropout), ("input dropout", dropoutRates.input), ("hidden dropout", dropoutRates.hidden),
            ("output dropout", dropoutRates.output), ("weight drop", weightDrop), ("embedding dropout", embeddingDropout),
        ]
        for (name, probability) in probabilities where !(probability >= 0 && probability < 1) {
            throw .outOfRange(name, "\(probability)", "in [0, 1)")
        }
        for (name, coefficient) in [("activation penalty", activationPenalty), ("temporal activation penalty", temporalActivationPenalty)]
        where !(coefficient >= 0 && coefficient.isFinite) {
            throw .outOfRange(name, "\(coefficient)", "a finite value ≥ 0")
        }
        if peephole && cell != .lstm { throw .incompatible("peephole connections need the LSTM cell") }
        try validateSoftmax()
        if tieWeights && embeddingSize != outputSize {
            throw .incompatible(
                "tied weights need embedding size \(embeddingSize) to equal \(lastHiddenSize == nil ? "hidden size" : "the last layer's width") \(outputSize)")
        }
    }
}

extension ModelConfiguration {
    /// - Throws: ``ConfigurationError`` when cutoffs are given without the adaptive softmax,
    ///   are missing, unordered or out of `[1, V)`, leave a tail projection narrower than
    ///   one unit, or meet tied weights.
    private func validateSoftmax() throws(ConfigurationError) {
        guard softmax == .adaptive else {
            if !cutoffs.isEmpty { throw .incompatible("cutoffs need the adaptive softmax") }
            return
        }
        let increasing = zip(cutoffs, cutoffs.dropFirst()).allSatisfy { $0 < $1 }
        guard let first = cutoffs.first, let last = cutoffs.last, increasing, first >= 1, last < vocabularySize else {
            throw .incompatible(
                "adaptive softmax cutoffs \(cutoffs.map(String.init).joined(separator: ",")) (--cutoffs) must be increasing, at least 1 and below the vocabulary size, \(vocabularySize)")
        }
        if tailWidths.contains(0) {
            throw .incompatible(
                "the adaptive softmax's \(cutoffs.count) tail clusters (--cutoffs) project the last layer's \(outputSize) units down by 4 per cluster, to less than one: it needs at least \(Self.tailDivisor)^\(cutoffs.count) units or fewer cutoffs")
        }
        if tieWeights { throw .incompatible("tied weights need the full softmax: the adaptive softmax has no [V, H] decoder to tie") }
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
