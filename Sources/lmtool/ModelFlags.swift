import ArgumentParser
import LMNetwork

extension CellKind: ExpressibleByArgument {}
extension SoftmaxKind: ExpressibleByArgument {}

/// The network's shape and regularisation, shared by `train` and `bench model`.
struct ModelFlags: ParsableArguments {
    @Option(help: "Recurrent cell: lstm, gru, rnn-tanh or rnn-relu.")
    var cell: CellKind = .lstm

    @Flag(help: "LSTM peephole connections (an lmtool extension; PyTorch has none).")
    var peephole = false

    @Option(parsing: .unconditional, help: "Recurrent layers.")
    var layers = 2

    @Option(parsing: .unconditional, help: "Embedding size.")
    var embed = 200

    @Option(parsing: .unconditional, help: "Hidden units per layer.")
    var hidden = 200

    @Option(
        parsing: .unconditional,
        help: "Hidden units of the last layer (default: --hidden), e.g. a wide stack narrowing to a tied embedding.")
    var lastHidden: Int?

    @Option(parsing: .unconditional, help: "Dropout probability (embedding, between layers, output).")
    var dropout: Float = 0.2

    @Option(parsing: .unconditional, help: "Dropout on the embedding output (default: --dropout).")
    var dropoutInput: Float?

    @Option(parsing: .unconditional, help: "Dropout between recurrent layers (default: --dropout).")
    var dropoutHidden: Float?

    @Option(parsing: .unconditional, help: "Dropout on the last layer's output (default: --dropout).")
    var dropoutOutput: Float?

    @Flag(inversion: .prefixedNo, help: "One dropout mask per window, shared by all steps.")
    var variationalDropout = false

    @Option(
        parsing: .unconditional,
        help: "DropConnect on each layer's recurrent weight W_hh, one mask per window (AWD-LSTM's weight drop).")
    var weightDrop: Float = 0

    @Option(parsing: .unconditional, help: "Drop whole embedding rows (words) per window, the rest scaled up.")
    var embeddingDropout: Float = 0

    @Option(name: .customLong("ar"), parsing: .unconditional, help: "Activation regularisation: ALPHA · mean(h²) of the last layer's dropped-out outputs.")
    var activationPenalty: Float = 0

    @Option(name: .customLong("tar"), parsing: .unconditional, help: "Temporal activation regularisation: BETA · mean((h_t+1 − h_t)²) of the last layer's outputs.")
    var temporalActivationPenalty: Float = 0

    @Flag(inversion: .prefixedNo, help: "Tie decoder and embedding weights (needs --embed equal to --hidden).")
    var tieWeights = false

    @Option(
        help:
            "Decoder: full, a softmax over every token (the default), or adaptive, a head of the frequent tokens plus tail clusters cut at --cutoffs (the default when they are given).")
    var softmax: SoftmaxKind?

    @Option(
        parsing: .unconditional,
        help: "Adaptive softmax: the first id of each tail cluster, increasing, e.g. 2000,10000 (ids are by frequency).")
    var cutoffs: String?

    /// ``softmax``, adaptive when only ``cutoffs`` is given.
    var softmaxKind: SoftmaxKind { softmax ?? (cutoffs == nil ? .full : .adaptive) }

    /// ``cutoffs`` as numbers; empty when not given.
    var cutoffIDs: [Int] {
        get throws {
            guard let cutoffs else { return [] }
            let fields = cutoffs.split(separator: ",", omittingEmptySubsequences: false)
            let numbers = fields.compactMap { Int($0) }
            guard numbers.count == fields.count, numbers.allSatisfy({ $0 >= 1 }),
                zip(numbers, numbers.dropFirst()).allSatisfy({ $0 < $1 })
            else {
                throw CommandError.flag("--cutoffs", "must be increasing whole numbers of at least 1, separated by commas (such as 2000,10000)")
            }
            return numbers
        }
    }

    mutating func validate() throws {
        if layers < 1 { throw CommandError.flag("--layers", "must be at least 1") }
        if embed < 1 { throw CommandError.flag("--embed", "must be at least 1") }
        if hidden < 1 { throw CommandError.flag("--hidden", "must be at least 1") }
        if let lastHidden, lastHidden < 1 { throw CommandError.flag("--last-hidden", "must be at least 1") }
        let probabilities: [(String, Float?)] = [
            ("--dropout", dropout), ("--dropout-input", dropoutInput), ("--dropout-hidden", dropoutHidden),
            ("--dropout-output", dropoutOutput), ("--weight-drop", weightDrop), ("--embedding-dropout", embeddingDropout),
        ]
        for case let (flag, probability?) in probabilities where !(probability >= 0 && probability < 1) {
            throw CommandError.flag(flag, "must be in [0, 1)")
        }
        if !(activationPenalty >= 0 && activationPenalty.isFinite) { throw CommandError.flag("--ar", "must be a number ≥ 0") }
        if !(temporalActivationPenalty >= 0 && temporalActivationPenalty.isFinite) {
            throw CommandError.flag("--tar", "must be a number ≥ 0")
        }
        if peephole && cell != .lstm { throw CommandError.flag("--peephole", "needs --cell lstm") }
        try checkSoftmax()
        if tieWeights && embed != lastHidden ?? hidden {
            throw CommandError.flag("--tie-weights", lastHidden == nil ? "needs --embed equal to --hidden" : "needs --embed equal to --last-hidden")
        }
    }

    /// The adaptive softmax's flags, as far as they can be checked before the vocabulary
    /// is known (that each cutoff is below its size is the model's check).
    private func checkSoftmax() throws {
        let ids = try cutoffIDs
        switch softmaxKind {
        case .full:
            if !ids.isEmpty { throw CommandError.flag("--cutoffs", "needs --softmax adaptive") }
        case .adaptive:
            if ids.isEmpty { throw CommandError.flag("--softmax adaptive", "needs --cutoffs, such as --cutoffs 2000,10000") }
            let width = lastHidden ?? hidden
            if ids.count > maximumClusters(width) {
                throw CommandError.flag(
                    "--cutoffs",
                    "makes \(ids.count) tail clusters, each projected \(ModelConfiguration.tailDivisor)x narrower than the one before, but the last layer's \(width) units allow at most \(maximumClusters(width))")
            }
            if tieWeights {
                throw CommandError.flag("--tie-weights", "needs --softmax full: the adaptive softmax has no [V, H] decoder to tie (after a preset, add --no-tie-weights)")
            }
        }
    }

    /// How many tail clusters a last layer `width` units wide allows.
    private func maximumClusters(_ width: Int) -> Int {
        var (clusters, remaining) = (0, width / ModelConfiguration.tailDivisor)
        while remaining >= 1 {
            clusters += 1
            remaining /= ModelConfiguration.tailDivisor
        }
        return clusters
    }

    func configuration(vocabularySize: Int) -> ModelConfiguration {
        var configuration = ModelConfiguration(
            vocabularySize: vocabularySize, embeddingSize: embed, hiddenSize: hidden, layers: layers, cell: cell,
            peephole: peephole, dropout: dropout, variationalDropout: variationalDropout, tieWeights: tieWeights)
        (configuration.inputDropout, configuration.hiddenDropout, configuration.outputDropout) =
            (dropoutInput, dropoutHidden, dropoutOutput)
        configuration.lastHiddenSize = lastHidden
        configuration.weightDrop = weightDrop
        configuration.embeddingDropout = embeddingDropout
        configuration.activationPenalty = activationPenalty
        configuration.temporalActivationPenalty = temporalActivationPenalty
        configuration.softmax = softmaxKind
        // Checked by validate(); whether each is below the vocabulary size, by the model.
        configuration.cutoffs = (try? cutoffIDs) ?? []
        return configuration
    }
}
