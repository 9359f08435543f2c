import ArgumentParser
import LMNetwork

extension CellKind: ExpressibleByArgument {}

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

    @Option(parsing: .unconditional, help: "Dropout probability (embedding, between layers, output).")
    var dropout: Float = 0.2

    @Flag(help: "One dropout mask per window, shared by all steps.")
    var variationalDropout = false

    @Flag(help: "Tie decoder and embedding weights (needs --embed equal to --hidden).")
    var tieWeights = false

    func check() throws {
        if layers < 1 { throw CommandError.flag("--layers", "must be at least 1") }
        if embed < 1 { throw CommandError.flag("--embed", "must be at least 1") }
        if hidden < 1 { throw CommandError.flag("--hidden", "must be at least 1") }
        if !(dropout >= 0 && dropout < 1) { throw CommandError.flag("--dropout", "must be in [0, 1)") }
        if peephole && cell != .lstm { throw CommandError.flag("--peephole", "needs --cell lstm") }
        if tieWeights && embed != hidden { throw CommandError.flag("--tie-weights", "needs --embed equal to --hidden") }
    }

    func configuration(vocabularySize: Int) -> ModelConfiguration {
        ModelConfiguration(
            vocabularySize: vocabularySize, embeddingSize: embed, hiddenSize: hidden, layers: layers, cell: cell,
            peephole: peephole, dropout: dropout, variationalDropout: variationalDropout, tieWeights: tieWeights)
    }
}
