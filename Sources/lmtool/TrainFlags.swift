import ArgumentParser
import LMNetwork
import LMTraining

extension TrainingOptions.OptimizerKind: ExpressibleByArgument {}
extension LearningRateDecay: ExpressibleByArgument {}

/// `train`'s texts and model directory (the "Data" group of `train --help`).
struct TrainingDataFlags: ParsableArguments {
    @Option(help: "Validation text; default: the last --valid-fraction of the corpus, held out.")
    var valid: String?

    @Option(parsing: .unconditional, help: "Share of the corpus held out for validation when --valid is not given.")
    var validFraction = 0.05

    @Option(help: "Test text, evaluated once at the end with the best weights.")
    var test: String?

    @Option(help: "Model directory (default: models/<corpus name>; models/stdin for '-').")
    var out: String?

    @Option(help: "Continue the interrupted run in this model directory.")
    var resume: String?

    @Flag(help: "Replace the model already in the output directory (otherwise training refuses to).")
    var overwrite = false

    mutating func validate() throws {
        if overwrite && resume != nil { throw CommandError.flag("--overwrite", "cannot be combined with --resume") }
        if !(validFraction > 0 && validFraction < 1) { throw CommandError.flag("--valid-fraction", "must be in (0, 1)") }
    }
}

/// Which tokens `train` keeps in the vocabulary (with ``TokenizerFlags``, the "Text" group
/// of `train --help`).
struct VocabularyFlags: ParsableArguments {
    @Option(parsing: .unconditional, help: "Keep tokens seen at least this many times in the training text.")
    var minCount = 1

    @Option(parsing: .unconditional, help: "Keep at most this many tokens (special tokens included).")
    var maxVocab: Int?

    mutating func validate() throws {
        if minCount < 1 { throw CommandError.flag("--min-count", "must be at least 1") }
        if let maxVocab, maxVocab < 3 { throw CommandError.flag("--max-vocab", "must be at least 3") }
    }
}

/// How `train` trains: batches, epochs, optimizer, seed, threads, logging (the "Training"
/// group of `train --help`).
struct TrainingFlags: ParsableArguments {
    /// Read before parsing (``Preset/expanding(_:)``); declared for help and validation.
    @Option(
        help: ArgumentHelp(
            "A complete recipe: small (the defaults), medium (2 x 650, dropout 0.5, tied) or awd (AWD-LSTM: 3 layers 400/1150/400, its regularisers); flags given beside it override it.",
            valueName: "name"))
    var preset: Preset?

    @Option(parsing: .unconditional, help: "Parallel streams per batch.")
    var batch = 20

    @Option(parsing: .unconditional, help: "Window length of truncated back-propagation through time.")
    var bptt = 35

    @Flag(help: "Draw each window's length around --bptt (AWD-LSTM), the learning rate scaled by length/bptt.")
    var variableBptt = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Add up the gradients of K windows before each update, which takes their mean: an effective batch of --batch x K.",
            valueName: "K"))
    var accumulate = 1

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Split each window's streams into S shards, each trained by one thread from the window's start to its end (and validation's streams into S groups): the threads meet once per window, not at every product, and keep their speed beside other busy processes. Results depend on S, never on --threads; S must divide --batch (per process).",
            valueName: "S"))
    var shards = 1

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Read a training word seen c times as <unk> with probability alpha/(alpha + c), so the model learns how likely unknown words are (0: never).",
            valueName: "alpha"))
    var unkAlpha: Float = 0

    @Option(parsing: .unconditional, help: "Epochs.")
    var epochs = 40

    @Option(parsing: .unconditional, help: "Stop cleanly after this many minutes, keeping the best model.")
    var maxMinutes: Double?

    @Option(help: "Optimizer: sgd, adam, adamw, or nt-asgd (SGD that averages the weights once validation stops improving).")
    var optimizer: TrainingOptions.OptimizerKind = .sgd

    @Option(
        parsing: .unconditional,
        help: "Learning rate (default for sgd: 20 with lstm, 5 with gru or rnn-relu, 2 with rnn-tanh; 0.001 for adam/adamw).")
    var lr: Float?

    @Option(parsing: .unconditional, help: "Weight decay (L2 for sgd/adam, decoupled for adamw).")
    var weightDecay: Float = 0

    @Option(parsing: .unconditional, help: "Clip gradients to this global L2 norm (0: no clipping).")
    var clip: Float = 0.25

    @Option(
        parsing: .unconditional,
        help: "Divide the learning rate by this when validation stops improving (1: never; default 4, 1 for nt-asgd).")
    var anneal: Float?

    @Option(
        help: "Decay of the learning rate: none, or linear (to zero at the last epoch or the end of --max-minutes, whichever comes first).")
    var lrDecay: LearningRateDecay = .none

    @Option(
        parsing: .unconditional,
        help: "nt-asgd: start averaging when a validation is worse than the best of those more than this many before it.")
    var nonmono = 5

    @Option(parsing: .unconditional, help: "Stop after this many validations in a row without improvement.")
    var patience: Int?

    @Option(
        name: [.customLong("random-seed"), .customLong("seed")], parsing: .unconditional,
        help: "Random seed (initialisation, dropout); --seed is its older name.")
    var randomSeed = RandomSeed(1111)

    @Flag(
        name: .customLong("bf16"),
        help: "Mixed precision: run every matrix product of training in bfloat16 (operands rounded, sums in Float32); weights, gradients, update and evaluation stay Float32.")
    var bf16 = false

    @OptionGroup var threads: ThreadsFlag

    @Option(parsing: .unconditional, help: "Log a progress line (and a metrics record) every this many windows.")
    var logEvery = 200

    @Option(parsing: .unconditional, help: "Write a checkpoint every this many windows (and at every epoch's end).")
    var checkpointEvery = 1000

    mutating func validate() throws {
        if batch < 1 { throw CommandError.flag("--batch", "must be at least 1") }
        if bptt < 1 { throw CommandError.flag("--bptt", "must be at least 1") }
        if accumulate < 1 { throw CommandError.flag("--accumulate", "must be at least 1") }
        if shards < 1 { throw CommandError.flag("--shards", "must be at least 1") }
        if !(unkAlpha >= 0) || unkAlpha.isInfinite { throw CommandError.flag("--unk-alpha", "must be a finite number, at least 0") }
        if epochs < 1 { throw CommandError.flag("--epochs", "must be at least 1") }
        if let maxMinutes, !(maxMinutes > 0) { throw CommandError.flag("--max-minutes", "must be positive") }
        if let lr, !(lr > 0) { throw CommandError.flag("--lr", "must be positive") }
        if !(weightDecay >= 0) { throw CommandError.flag("--weight-decay", "must not be negative") }
        if !(clip >= 0) { throw CommandError.flag("--clip", "must not be negative") }
        if let anneal, !(anneal >= 1) { throw CommandError.flag("--anneal", "must be at least 1") }
        if nonmono < 1 { throw CommandError.flag("--nonmono", "must be at least 1") }
        if let patience, patience < 1 { throw CommandError.flag("--patience", "must be at least 1") }
        try randomSeed.check()
        if logEvery < 1 { throw CommandError.flag("--log-every", "must be at least 1") }
        if checkpointEvery < 1 { throw CommandError.flag("--checkpoint-every", "must be at least 1") }
    }

    /// SGD's default learning rate for each cell: the PyTorch example's 20 suits the LSTM,
    /// whose gates keep its state bounded; at 20 a tanh RNN ends its first epoch far worse
    /// than a uniform guess, a ReLU RNN diverges on WikiText-2 and a GRU swings (clipping
    /// to 0.25 still lets a step move the weights by 5). Chosen from one-epoch runs on the
    /// first 4,000 lines of each shared corpus (docs/training-runs.md, "Per-cell defaults").
    static func defaultStochasticLearningRate(for cell: CellKind) -> Float {
        switch cell {
        case .lstm: 20
        case .gru, .rnnReLU: 5
        case .rnnTanh: 2
        }
    }

    /// The options for a model of `cell`s (which sets the default learning rate).
    func options(cell: CellKind) -> TrainingOptions {
        var options = TrainingOptions()
        options.batchSize = batch
        options.windowLength = bptt
        options.epochs = epochs
        options.maxMinutes = maxMinutes
        options.optimizer = optimizer
        options.learningRate =
            lr ?? ([.sgd, .ntASGD].contains(optimizer) ? Self.defaultStochasticLearningRate(for: cell) : 0.001)
        options.weightDecay = weightDecay
        options.clip = clip > 0 ? clip : nil
        options.annealFactor = anneal ?? (optimizer == .ntASGD ? 1 : 4)
        options.learningRateDecay = lrDecay
        options.nonmonotoneInterval = nonmono
        options.variableWindowLength = variableBptt
        options.accumulate = accumulate
        options.shards = shards
        options.unknownWordAlpha = unkAlpha
        options.patience = patience
        options.seed = randomSeed.value
        options.logEvery = logEvery
        options.checkpointEvery = checkpointEvery
        options.bfloat16Products = bf16
        return options
    }
}
