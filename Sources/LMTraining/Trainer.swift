import Foundation
import LMInference
import LMNetwork
import LMTensor
import LMText

/// What the trainer reports while it runs; the CLI turns these into progress lines.
public enum TrainingEvent: Sendable {
    /// After each update (each window, or each `accumulate` windows): the running mean
    /// loss of the epoch so far.
    case progress(TrainingProgress)
    /// After each epoch's validation, at `step` windows trained since the run began.
    case validation(epoch: Int, step: Int, perplexity: Double, learningRate: Float, outcome: LearningRateSchedule.Outcome)
    /// The validation of a partial epoch when the time budget ends the run (no annealing).
    case budgetValidation(epoch: Int, step: Int, perplexity: Double, improved: Bool)
    /// NT-ASGD switched to averaging after epoch `epoch`'s validation: from now on the
    /// validated and saved weights are the running mean of the weights.
    case averagingStarted(epoch: Int, step: Int)
}

public struct TrainingProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var window: Int
    public var windows: Int
    /// Windows trained since the run began, across resumes.
    public var step: Int
    /// Tokens trained on since the run began, across resumes.
    public var tokensSeen: Int
    /// Mean training loss (nats per token) over the epoch so far.
    public var loss: Double
    public var tokensPerSecond: Double
    /// The rate of this update: annealed and decayed (before `--variable-bptt` scales it
    /// by the window's length, or the mean of its windows' lengths with `--accumulate`).
    public var learningRate: Float
    public var elapsedSeconds: Double
    /// Whether this update is logged: one that reached a `--log-every` boundary, the first
    /// of this invocation, the last of an epoch, or the last before a stop.
    public var isLogStep: Bool

    public var perplexity: Double { exp(loss) }
    /// Estimated seconds left in this epoch.
    public var epochSecondsLeft: Double {
        tokensPerSecond > 0 ? Double(windows - window) * elapsedPerWindow : 0
    }
    fileprivate var elapsedPerWindow: Double = 0
}

/// Where the trainer puts what it produces: the best weights and checkpoints.
public protocol TrainingSink {
    /// Called when validation improves, with the weights that achieved it (all finite).
    func saveBest(_ model: LanguageModel, validationPerplexity: Double) throws
    func saveCheckpoint(_ checkpoint: TrainingCheckpoint) throws
}

/// How a run ended.
public struct TrainingReport: Sendable {
    public enum Ending: Equatable, Sendable {
        case completed, earlyStopped, timeBudget
        case interrupted(signal: Int32)
    }
    public var ending: Ending
    public var epochs: Int
    public var tokensSeen: Int
    public var elapsedSeconds: Double
    public var bestValidationPerplexity: Double?
}

/// Truncated-BPTT training: the corpus is fed as `B` parallel streams in windows of `T`;
/// the hidden state is carried from window to window without gradient and reset to zero
/// at each epoch's start; gradients are clipped by their global L2 norm before every
/// update; validation after each epoch drives learning-rate annealing, early stopping
/// and the choice of the best weights. In data-parallel training (``DataParallelGroup``)
/// each process runs its share of the batch's streams and the gradients are summed over
/// the processes, then averaged before clipping.
///
/// With ``TrainingOptions/accumulate`` K above 1 the gradients of K consecutive windows
/// (state carried between them as always) add up, and one update follows on their mean:
/// scaled by 1/K before clipping (by 1/(K·N) where N processes sum them), so the
/// update has one window's scale (the epoch's last update may take fewer windows, and
/// divides by their number). The loss the processes average is the mean of the update's
/// windows' losses. Stops, the time budget and checkpoints fall between updates only, so
/// a checkpoint never holds half an update.
public final class Trainer {
    public let model: LanguageModel
    public let options: TrainingOptions
    private var batcher: Batcher
    private let validation: [Int32]
    private var optimizer: any Optimizer
    private var position: TrainingPosition
    private var generator: RandomGenerator
    /// The hidden state of this process's streams, `[B/N, H]` per tensor.
    private var state: RecurrentState
    /// The processes training together, or nil for one process.
    private let group: DataParallelGroup?
    /// This process's streams of the batch (all of them for one process).
    private let shard: BatchShard
    /// Those streams split between threads (`--shards`).
    private let windowShards: WindowShards
    /// `--unk-alpha`: training words read as `<unk>` now and then, keyed by the seed.
    private let substitution: UnknownWordSubstitution?

    /// Starts fresh, or continues from `checkpoint` (whose weights replace the model's), as
    /// one process or as one of `group`'s, each given the same arguments.
    public convenience init(
        model: LanguageModel, options: TrainingOptions, training: [Int32], validation: [Int32],
        resumingFrom checkpoint: TrainingCheckpoint? = nil, group: DataParallelGroup? = nil
    ) throws {
        try self.init(
            model: model, options: options, training: TokenIDs(training), validation: validation,
            resumingFrom: checkpoint, group: group)
    }

    /// As above, with the training ids read in place: a corpus mapped from its id file
    /// (`ids.bin`) is paged in window by window, never held whole.
    public init(
        model: LanguageModel, options: TrainingOptions, training: TokenIDs, validation: [Int32],
        resumingFrom checkpoint: TrainingCheckpoint? = nil, group: DataParallelGroup? = nil
    ) throws {
        precondition(options.accumulate >= 1, "accumulate must be at least 1, not \(options.accumulate)")
        self.model = model
        self.options = options
        self.validation = validation
        self.group = group
        let shard = try group?.shard(ofBatch: options.batchSize) ?? BatchShard(wholeBatchOf: options.batchSize)
        self.shard = shard
        guard options.shards >= 1 && shard.count % options.shards == 0 else {
            throw TrainingError.shardsDoNotSplitBatch(streams: shard.count, shards: options.shards)
        }
        windowShards = WindowShards(model: model, streams: shard, count: options.shards)
        batcher = try Batcher(tokens: training, batchSize: options.batchSize, windowLength: options.windowLength)
        substitution =
            options.unknownWordAlpha > 0
            ? UnknownWordSubstitution(
                alpha: options.unknownWordAlpha,
                counts: UnknownWordSubstitution.counts(of: training, vocabularySize: model.configuration.vocabularySize),
                seed: options.seed ^ 0x0DD_0C0DE) : nil
        optimizer = options.optimizer.make(for: model.parameters, weightDecay: options.weightDecay)
        state = RecurrentState(zerosFor: model.configuration, batchSize: shard.count)
        if let checkpoint {
            try model.load(checkpoint.parameters)
            try optimizer.restore(checkpoint.optimizerState)
            try state.load(checkpoint.recurrentState.mapValues { shard.slice($0, width: $0.count / shard.total) })
            position = checkpoint.position
            generator = RandomGenerator(state: checkpoint.position.generatorState)
        } else {
            generator = RandomGenerator(seed: options.seed ^ 0x5EED_D20F)
            position = TrainingPosition(
                schedule: LearningRateSchedule(
                    learningRate: options.learningRate, annealFactor: options.annealFactor,
                    patience: options.patience),
                generatorState: generator.state)
        }
        try group?.checkTokensAgree(training: training, validation: validation)
        try group?.checkWeightsAgree(model.parameters)
        try group?.placeGradients(of: model.parameters)
    }

    /// Trains until the epochs are done, early stopping, the time budget (`maxMinutes`
    /// from this call's start, so a resumed run has a budget of its own), or a stop
    /// request (`stopSignal` returns the signal number once one arrived).
    ///
    /// - Throws: ``TrainingError/diverged(epoch:step:loss:)`` on a non-finite loss or gradient, before
    ///   anything non-finite is saved; errors of the sink.
    public func run(
        sink: TrainingSink, stopSignal: () -> Int32? = { nil },
        onEvent: (TrainingEvent) -> Void = { _ in }
    ) throws -> TrainingReport {
        let started = Date()
        let elapsedBefore = position.elapsedSeconds
        var elapsed: Double { elapsedBefore + Date().timeIntervalSince(started) }
        let budgetEnd = options.maxMinutes.map { elapsedBefore + $0 * 60 }
        var window = Batcher.Window()
        var ending = TrainingReport.Ending.completed
        var windowsThisCall = 0
        var lastProgress: TrainingProgress?

        training: while position.epoch <= options.epochs && !position.finished {
            let epochStarted = Date()
            let firstWindow = position.nextWindow
            var lossSum = 0.0
            var windowsThisRun = 0
            var tokensThisEpoch = 0
            if firstWindow == 0 { state.reset() }
            if options.variableWindowLength {
                // Drawn from the seed and the epoch alone, so a resumed epoch has the same windows.
                var lengths = RandomGenerator(seed: options.seed ^ (UInt64(position.epoch) &* 0x9E37_79B9_7F4A_7C15))
                batcher.drawWindowLengths(generator: &lengths)
            }
            let substitution = substitution?.forEpoch(position.epoch)
            // The update in progress: its windows so far, their losses and length ratios summed.
            var update = (windows: 0, loss: 0.0, lengthRatios: 0.0, tokens: 0)
            var sinceStart = 0.0
            for index in firstWindow..<batcher.windowCount {
                if update.windows == 0 {
                    // Stops, the budget and checkpoints fall between updates, never inside one.
                    var signal = stopSignal()
                    sinceStart = Date().timeIntervalSince(started)
                    if let group { (signal, sinceStart) = try group.agreeBeforeWindow(signal: signal, seconds: sinceStart) }
                    if let signal {
                        ending = .interrupted(signal: signal)
                        break training
                    }
                    if let budget = options.maxMinutes, sinceStart >= budget * 60 {
                        ending = .timeBudget
                        break training
                    }
                    model.zeroGradients()
                    if options.bfloat16Products { model.copyWeightsToBFloat16() }
                }
                batcher.fill(&window, index: index, substitution: substitution)
                // `--accumulate K`: the gradients of K windows add up before one update (the
                // epoch's last update may have fewer), which takes their mean. The last
                // window's backward pass hands its gradients on to be summed over the processes.
                let windows = update.windows + 1
                let endsUpdate = windows == options.accumulate || index + 1 == batcher.windowCount
                var loss = windowShards.trainWindow(
                    inputs: shard.columns(of: window.inputs), targets: shard.columns(of: window.targets),
                    windowLength: window.length, state: state, generator: &generator,
                    gradientsReady: { if endsUpdate { group?.startSumming($0) } })
                update.windows += 1
                update.loss += loss
                update.lengthRatios += options.variableWindowLength ? Double(batcher.lengthRatio(ofWindow: index)) : 1
                update.tokens += window.length * batcher.batchSize
                guard endsUpdate else { continue }
                loss = update.loss / Double(windows)  // the mean of the update's windows' losses
                if let group { loss = try group.finishSumming(loss: loss) }
                // The gradients are sums over the update's windows, the shards and the
                // processes; the update reads them as their mean, clipped.
                let meanScale = 1 / Float(windows * options.shards * (group?.processCount ?? 1))
                let norm = gradientNorm(model.parameters, scale: meanScale)
                guard loss.isFinite, norm.isFinite else {
                    throw TrainingError.diverged(epoch: position.epoch, step: index + 1, loss: Float(loss))
                }
                // Processes decay by process 0's clock, agreed before the update: by their own
                // they would update by different rates.
                let decay = options.learningRateDecay.factor(
                    progress: LearningRateDecay.progress(
                        tokensSeen: position.tokensSeen, tokensPerEpoch: batcher.tokensPerEpoch, epochs: options.epochs,
                        elapsedSeconds: group == nil ? elapsed : elapsedBefore + sinceStart, budgetEnd: budgetEnd))
                let learningRate = position.schedule.learningRate * decay
                let lengthScale = Float(update.lengthRatios / Double(windows))
                optimizer.step(
                    model.parameters, learningRate: learningRate * lengthScale,
                    gradientScale: meanScale * clippingFactor(norm: norm, maxNorm: options.clip ?? .infinity))

                let windowsBefore = index + 1 - windows
                func crossed(_ every: Int) -> Bool { (index + 1) / every > windowsBefore / every }
                lossSum += loss * Double(windows)
                windowsThisRun += windows
                windowsThisCall += windows
                tokensThisEpoch += update.tokens
                position.tokensSeen += update.tokens
                position.windowsTrained += windows
                position.nextWindow = index + 1
                update = (0, 0, 0, 0)
                let seconds = Date().timeIntervalSince(epochStarted)
                var progress = TrainingProgress(
                    epoch: position.epoch, epochs: options.epochs, window: index + 1,
                    windows: batcher.windowCount, step: position.windowsTrained, tokensSeen: position.tokensSeen,
                    loss: lossSum / Double(windowsThisRun),
                    tokensPerSecond: Double(tokensThisEpoch) / max(seconds, 1e-9),
                    learningRate: learningRate, elapsedSeconds: elapsed,
                    isLogStep: crossed(options.logEvery) || windowsThisCall == windows || index + 1 == batcher.windowCount)
                progress.elapsedPerWindow = seconds / Double(windowsThisRun)
                onEvent(.progress(progress))
                lastProgress = progress
                if crossed(options.checkpointEvery) && index + 1 < batcher.windowCount {
                    try sink.saveCheckpoint(checkpoint(elapsed: elapsed))
                }
            }

            let outcome = try withSelectedWeights {
                let perplexity = exp(try evaluate(validation))
                position.validationLosses.append(log(perplexity))
                let outcome = position.schedule.record(validationLoss: log(perplexity))
                onEvent(.validation(
                    epoch: position.epoch, step: position.windowsTrained, perplexity: perplexity,
                    learningRate: position.schedule.learningRate, outcome: outcome))
                if outcome == .improved {
                    position.bestValidationPerplexity = perplexity
                    try sink.saveBest(model, validationPerplexity: perplexity)
                }
                return outcome
            }
            if let averaged = optimizer as? AveragedStochasticGradientDescent, !averaged.isAveraging,
                AveragedStochasticGradientDescent.shouldStartAveraging(
                    validationLosses: position.validationLosses, interval: options.nonmonotoneInterval)
            {
                averaged.startAveraging(model.parameters)
                onEvent(.averagingStarted(epoch: position.epoch, step: position.windowsTrained))
            }
            position.epoch += 1
            position.nextWindow = 0
            if outcome == .stop {
                position.finished = true
                ending = .earlyStopped
            }
            try sink.saveCheckpoint(checkpoint(elapsed: elapsed))
        }
        if ending != .completed && ending != .earlyStopped, var last = lastProgress, !last.isLogStep {
            // The curve and the log keep the last window before a stop.
            last.isLogStep = true
            onEvent(.progress(last))
        }
        if ending == .timeBudget, position.nextWindow > 0 {
            // A budget that ends mid-epoch still keeps the best weights seen.
            try withSelectedWeights {
                let perplexity = exp(try evaluate(validation))
                let improved = perplexity < position.bestValidationPerplexity ?? .infinity
                onEvent(.budgetValidation(epoch: position.epoch, step: position.windowsTrained, perplexity: perplexity, improved: improved))
                if improved {
                    position.bestValidationPerplexity = perplexity
                    try sink.saveBest(model, validationPerplexity: perplexity)
                }
            }
        }
        if ending == .completed { position.finished = true }
        try sink.saveCheckpoint(checkpoint(elapsed: elapsed))
        return TrainingReport(
            ending: ending, epochs: min(position.epoch - 1, options.epochs), tokensSeen: position.tokensSeen,
            elapsedSeconds: elapsed, bestValidationPerplexity: position.bestValidationPerplexity)
    }

    /// Mean cross-entropy (nats per token) of `tokens`, in the evaluation batch layout, in
    /// Float32 (bfloat16 copies of a `--bf16` run dropped): as the saved weights evaluate.
    /// The processes of a data-parallel run share the work.
    public func evaluate(_ tokens: [Int32]) throws -> Double {
        model.dropBFloat16Copies()
        if let group {
            return try group.crossEntropy(
                of: tokens, model: model, batchSize: options.evaluationBatchSize, windowLength: options.windowLength,
                shards: options.shards)
        }
        return Evaluator(
            model: model, batchSize: options.evaluationBatchSize, windowLength: options.windowLength, shards: options.shards
        ).evaluate(tokens).crossEntropy
    }

    /// Runs `body` on the weights validation scores and the model directory keeps: NT-ASGD's
    /// average once it runs, the trained weights otherwise.
    private func withSelectedWeights<Result>(_ body: () throws -> Result) rethrows -> Result {
        guard let averaged = optimizer as? AveragedStochasticGradientDescent else { return try body() }
        return try averaged.withAveragedWeights(model.parameters, body)
    }

    /// The checkpoint of the run so far; with several processes, the whole batch's state
    /// (every process's rows), once their weights are checked to agree.
    private func checkpoint(elapsed: Double) throws -> TrainingCheckpoint {
        position.generatorState = generator.state
        position.elapsedSeconds = elapsed
        var recurrentState = state.namedValues
        if let group {
            try group.checkWeightsAgree(model.parameters)
            recurrentState = try group.gatherState(recurrentState, shard: shard)
        }
        return TrainingCheckpoint(
            parameters: model.namedValues, optimizerState: optimizer.state, recurrentState: recurrentState,
            position: position)
    }
}
