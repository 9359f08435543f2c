/// How a model is trained. The defaults are the PyTorch word-language-model example's
/// (SGD at rate 20 annealed by 4 on a plateau, clip 0.25, batch 20, window 35, 40 epochs).
public struct TrainingOptions: Codable, Equatable, Sendable {
    public enum OptimizerKind: String, Codable, CaseIterable, Sendable {
        case sgd, adam, adamw
        /// SGD that switches to averaging the weights when validation stops improving
        /// (``AveragedStochasticGradientDescent``).
        case ntASGD = "nt-asgd"
    }

    public var batchSize = 20
    /// Window length `T` of truncated BPTT (`--bptt`).
    public var windowLength = 35
    public var epochs = 40
    /// Wall-clock budget; training stops cleanly at the first window past it.
    public var maxMinutes: Double?
    public var optimizer = OptimizerKind.sgd
    public var learningRate: Float = 20
    public var weightDecay: Float = 0
    /// Global L2-norm threshold for gradient clipping (`nil`: no clipping).
    public var clip: Float? = 0.25
    /// Divide the rate by this when validation stops improving (1: never anneal).
    public var annealFactor: Float = 4
    /// Decay of the rate over the run: its epochs or its time budget, whichever ends first.
    public var learningRateDecay = LearningRateDecay.none
    /// Stop after this many validations in a row without improvement.
    public var patience: Int?
    public var seed: UInt64 = 1111
    /// Progress lines (and `metrics.jsonl` entries) every this many windows.
    public var logEvery = 200
    /// Windows between checkpoints inside an epoch (one is always written at epoch end).
    public var checkpointEvery = 1000
    /// Batch size of validation and test evaluation (the example's `eval_batch_size`).
    public var evaluationBatchSize = 10
    /// Mixed precision (`--bf16`): every matrix product of a training window runs in
    /// bfloat16, on copies of the weights remade before it
    /// (``LanguageModel/copyWeightsToBFloat16()``); the weights, gradients, update and every
    /// evaluation stay Float32.
    public var bfloat16Products = false
    /// NT-ASGD's non-monotone interval: averaging starts when a validation is worse than
    /// the best of those more than this many before it (`--nonmono`).
    public var nonmonotoneInterval = 5
    /// Draw each window's length around ``windowLength`` and scale the learning rate by
    /// its ratio to it (AWD-LSTM's variable-length BPTT; ``Batcher/drawWindowLengths(generator:)``).
    public var variableWindowLength = false
    /// Windows whose gradients add up before each update (`--accumulate K`): the update
    /// takes their mean, so the effective batch is `batchSize · accumulate` streams at one
    /// window's gradient scale; the epoch's last update may take fewer. Progress, `step`
    /// and checkpoints still count windows; stops and checkpoints fall between updates.
    public var accumulate = 1
    /// `--unk-alpha α`: read a training word seen `c` times as `<unk>` with probability
    /// `α / (α + c)` (``UnknownWordSubstitution``); 0: never.
    public var unknownWordAlpha: Float = 0
    /// Shards of each window's streams (`--shards S`), each trained by one thread from
    /// the window's start to its end (``WindowShards``), and of the validation streams
    /// (``Evaluator/shards``); results depend on it, not on the thread count. It must
    /// divide the training streams of each process.
    public var shards = 1
    /// Compute threads of the run that last trained the model (`--threads`, a resume's
    /// included): with the seed, data and flags, what reproduces it bit for bit.
    public var threads: Int?

    public init() {}
}

extension TrainingOptions {
    /// Reads options saved by any lmtool version: a key added later (`bfloat16Products`,
    /// `nonmonotoneInterval`, `variableWindowLength`, `threads`, `learningRateDecay`,
    /// `accumulate`, `unknownWordAlpha`, `shards`) takes its default when absent.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        batchSize = try values.decode(Int.self, forKey: .batchSize)
        windowLength = try values.decode(Int.self, forKey: .windowLength)
        epochs = try values.decode(Int.self, forKey: .epochs)
        maxMinutes = try values.decodeIfPresent(Double.self, forKey: .maxMinutes)
        optimizer = try values.decode(OptimizerKind.self, forKey: .optimizer)
        learningRate = try values.decode(Float.self, forKey: .learningRate)
        weightDecay = try values.decode(Float.self, forKey: .weightDecay)
        clip = try values.decodeIfPresent(Float.self, forKey: .clip)
        annealFactor = try values.decode(Float.self, forKey: .annealFactor)
        learningRateDecay = try values.decodeIfPresent(LearningRateDecay.self, forKey: .learningRateDecay) ?? .none
        patience = try values.decodeIfPresent(Int.self, forKey: .patience)
        seed = try values.decode(UInt64.self, forKey: .seed)
        logEvery = try values.decode(Int.self, forKey: .logEvery)
        checkpointEvery = try values.decode(Int.self, forKey: .checkpointEvery)
        evaluationBatchSize = try values.decode(Int.self, forKey: .evaluationBatchSize)
        bfloat16Products = try values.decodeIfPresent(Bool.self, forKey: .bfloat16Products) ?? false
        nonmonotoneInterval = try values.decodeIfPresent(Int.self, forKey: .nonmonotoneInterval) ?? 5
        variableWindowLength = try values.decodeIfPresent(Bool.self, forKey: .variableWindowLength) ?? false
        threads = try values.decodeIfPresent(Int.self, forKey: .threads)
        unknownWordAlpha = try values.decodeIfPresent(Float.self, forKey: .unknownWordAlpha) ?? 0
        accumulate = try values.decodeIfPresent(Int.self, forKey: .accumulate) ?? 1
        shards = try values.decodeIfPresent(Int.self, forKey: .shards) ?? 1
    }
}
