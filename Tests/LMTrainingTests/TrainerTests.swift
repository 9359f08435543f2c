import Foundation
import LMNetwork
import LMTensor
import LMText
import Testing
import TestSupport

@testable import LMTraining

/// Keeps what the trainer saves in memory.
final class MemorySink: TrainingSink {
    var best: [String: [Float]]?
    var bestPerplexities: [Double] = []
    var checkpoints: [TrainingCheckpoint] = []

    func saveBest(_ model: LanguageModel, validationPerplexity: Double) throws {
        best = model.namedValues
        bestPerplexities.append(validationPerplexity)
    }

    func saveCheckpoint(_ checkpoint: TrainingCheckpoint) throws { checkpoints.append(checkpoint) }
}

@Suite struct TrainerTests {
    static let configuration = ModelConfiguration(
        vocabularySize: 12, embeddingSize: 8, hiddenSize: 10, layers: 2, cell: .lstm, dropout: 0.1)

    static func options() -> TrainingOptions {
        var options = TrainingOptions()
        options.batchSize = 4
        options.windowLength = 6
        options.epochs = 3
        options.learningRate = 1
        options.logEvery = 5
        options.checkpointEvery = 7
        return options
    }

    /// A repetitive stream with some noise: learnable, not trivial.
    static func tokens(count: Int, seed: UInt64) -> [Int32] {
        var generator = RandomGenerator(seed: seed)
        return (0..<count).map { index in
            generator.nextUniform() < 0.1 ? Int32(generator.next() % 12) : Int32(2 + index % 7)
        }
    }

    static func model() throws -> LanguageModel {
        var generator = RandomGenerator(seed: 3)
        return try LanguageModel(configuration: configuration, generator: &generator)
    }

    @Test func resumingGivesTheSameWeightsAsAnUninterruptedRun() throws {
        let training = Self.tokens(count: 600, seed: 1)
        let validation = Self.tokens(count: 120, seed: 2)
        // Every optimizer, and SGD with windows of drawn lengths (the same again on resume).
        let runs = TrainingOptions.OptimizerKind.allCases.map { ($0, false) } + [(.sgd, true)]
        for (optimizer, variableWindowLength) in runs {
            var options = Self.options()
            options.optimizer = optimizer
            options.learningRate = [.sgd, .ntASGD].contains(optimizer) ? 1 : 0.01
            options.variableWindowLength = variableWindowLength
            let whole = try Self.model()
            _ = try Trainer(model: whole, options: options, training: training, validation: validation)
                .run(sink: MemorySink())

            // Stop after 31 windows (mid-epoch 2), as SIGINT would, then resume from the checkpoint.
            let interrupted = try Self.model()
            let sink = MemorySink()
            var windows = 0
            let report = try Trainer(model: interrupted, options: options, training: training, validation: validation)
                .run(sink: sink, stopSignal: { windows >= 31 ? 2 : nil }, onEvent: { event in
                    if case .progress = event { windows += 1 }
                })
            #expect(report.ending == .interrupted(signal: 2))
            let checkpoint = try #require(sink.checkpoints.last)
            #expect(checkpoint.position.epoch == 2 && checkpoint.position.nextWindow > 0)

            let resumed = try Self.model()
            _ = try Trainer(model: resumed, options: options, training: training, validation: validation, resumingFrom: checkpoint)
                .run(sink: MemorySink())
            #expect(resumed.namedValues == whole.namedValues, "\(optimizer), variable windows: \(variableWindowLength)")
        }
    }

    /// NT-ASGD switches to averaging when validation turns worse; from then on the saved
    /// best weights are the average, and a run resumed after the switch ends as an
    /// uninterrupted one.
    @Test func ntASGDAveragesOnceValidationWorsensAndResumesExactly() throws {
        let training = Self.tokens(count: 600, seed: 1)
        let validation = Self.tokens(count: 120, seed: 2)
        var options = Self.options()
        options.optimizer = .ntASGD
        options.learningRate = 8
        options.annealFactor = 1
        options.nonmonotoneInterval = 1
        options.epochs = 12
        let whole = try Self.model()
        let sink = MemorySink()
        var switchedAt: Int?
        _ = try Trainer(model: whole, options: options, training: training, validation: validation)
            .run(sink: sink, onEvent: { event in
                if case .averagingStarted(let epoch, _) = event { switchedAt = epoch }
            })
        let epoch = try #require(switchedAt, "validation never worsened: the trigger was not exercised")
        #expect(epoch < options.epochs - 2, "averaging started at epoch \(epoch)")
        let saved = try #require(sink.best)
        #expect(saved != whole.namedValues, "the saved weights are the average, not the last iterate")

        // Interrupted in the epoch after the switch, then resumed.
        let interrupted = try Self.model()
        let partial = MemorySink()
        var epochsDone = 0, windows = 0
        _ = try Trainer(model: interrupted, options: options, training: training, validation: validation)
            .run(sink: partial, stopSignal: { epochsDone > epoch && windows >= 3 ? 2 : nil }, onEvent: { event in
                if case .validation = event { epochsDone += 1; windows = 0 }
                if case .progress = event { windows += 1 }
            })
        let checkpoint = try #require(partial.checkpoints.last)
        #expect(checkpoint.optimizerState["asgd.steps"] != nil)
        let resumed = try Self.model()
        let resumedSink = MemorySink()
        _ = try Trainer(model: resumed, options: options, training: training, validation: validation, resumingFrom: checkpoint)
            .run(sink: resumedSink)
        #expect(resumed.namedValues == whole.namedValues)
        #expect((resumedSink.best ?? partial.best) == saved)
    }

    @Test func theSameSeedGivesTheSameModel() throws {
        let training = Self.tokens(count: 400, seed: 1)
        let first = try Self.model(), second = try Self.model()
        for model in [first, second] {
            _ = try Trainer(model: model, options: Self.options(), training: training, validation: training)
                .run(sink: MemorySink())
        }
        #expect(first.namedValues == second.namedValues)
    }

    /// One epoch of SGD with `--accumulate`, by hand: each update's windows (`updates`,
    /// window indices) run `trainWindow` in turn, the state carried and the gradients
    /// zeroed only at the update's start so they add up; their sum is divided by the
    /// number of windows, clipped, and `w ← w − lr · g`. Returns each update's norm and
    /// each window's loss.
    static func trainByHand(
        _ model: LanguageModel, training: [Int32], options: TrainingOptions, updates: [[Int]]
    ) throws -> (norms: [Float], losses: [Double]) {
        let batcher = try Batcher(tokens: training, batchSize: options.batchSize, windowLength: options.windowLength)
        #expect(batcher.windowCount == updates.joined().count)
        var state = RecurrentState(zerosFor: model.configuration, batchSize: options.batchSize)
        var generator = RandomGenerator(seed: options.seed ^ 0x5EED_D20F)  // the trainer's
        var window = Batcher.Window()
        var norms: [Float] = []
        var losses: [Double] = []
        for update in updates {
            model.zeroGradients()
            for index in update {
                batcher.fill(&window, index: index)
                losses.append(model.trainWindow(
                    inputs: window.inputs, targets: window.targets, windowLength: window.length,
                    batchSize: options.batchSize, state: &state, generator: &generator))
            }
            // The mean of the windows' gradients, clipped by its global norm.
            let means = model.parameters.map { $0.gradientValues.map { $0 / Float(update.count) } }
            let norm = Float(means.joined().reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
            norms.append(norm)
            let clip = options.clip ?? .infinity
            let factor: Float = norm >= clip ? clip / norm : 1
            for (parameter, gradient) in zip(model.parameters, means) {
                for index in 0..<parameter.value.count {
                    parameter.value[index] -= options.learningRate * (gradient[index] * factor)
                }
            }
        }
        return (norms, losses)
    }

    /// Two models with the same weights and no dropout: one to train, one to follow by hand.
    static func twinModelsWithoutDropout() throws -> (LanguageModel, LanguageModel) {
        var configuration = Self.configuration
        configuration.dropout = 0
        var generator = RandomGenerator(seed: 3)
        let (first, second) = (
            try LanguageModel(configuration: configuration, generator: &generator),
            try LanguageModel(configuration: configuration, generator: &generator))
        try second.load(first.namedValues)
        return (first, second)
    }

    static func expectClose(_ trained: LanguageModel, _ byHand: LanguageModel) {
        let (a, b) = (trained.namedValues, byHand.namedValues)
        #expect(a.keys.sorted() == b.keys.sorted())
        for (name, values) in a {
            let expected = b[name] ?? []
            let scale = expected.map(abs).max() ?? 0
            let difference = zip(values, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(values.count == expected.count && difference <= 1e-6 * scale, "\(name): differs by \(difference)")
        }
    }

    /// `--accumulate 2` over an epoch of exactly two windows makes one update, on the mean
    /// of the two windows' gradients (the embedding's row-sparse one included), clipped
    /// after the mean: as computed by hand. Clipped or not (0.05 clips, 100 does not, so a
    /// sum left undivided would show).
    @Test(arguments: [Float(0.05), 100])
    func accumulatedWindowsMakeOneUpdateOnTheirMeanGradient(clip: Float) throws {
        let (trained, byHand) = try Self.twinModelsWithoutDropout()
        let initial = trained.namedValues
        let training = Self.tokens(count: 52, seed: 1)  // 4 streams of 13: two windows of 6
        var options = Self.options()
        options.epochs = 1
        options.accumulate = 2
        options.clip = clip
        var windows: [Int] = []
        _ = try Trainer(model: trained, options: options, training: training, validation: Self.tokens(count: 60, seed: 2))
            .run(sink: MemorySink(), onEvent: { event in
                if case .progress(let progress) = event { windows.append(progress.step) }
            })
        #expect(windows == [2], "one update, after both windows")
        let norms = try Self.trainByHand(byHand, training: training, options: options, updates: [[0, 1]]).norms
        #expect(clip < 1 ? norms[0] > clip : norms[0] < clip, "norm \(norms[0])")
        #expect(trained.namedValues != initial)
        Self.expectClose(trained, byHand)
    }

    /// An epoch of 5 windows with `--accumulate 3` makes two updates, the second on the
    /// last two windows (their sum divided by 2, not 3); the loss reported is still the
    /// mean of the epoch's windows' losses.
    @Test func anEpochsLastUpdateTakesTheWindowsLeft() throws {
        let (trained, byHand) = try Self.twinModelsWithoutDropout()
        let training = Self.tokens(count: 124, seed: 1)  // 4 streams of 31: five windows of 6
        var options = Self.options()
        options.epochs = 1
        options.accumulate = 3
        options.clip = 100
        var steps: [(window: Int, step: Int, loss: Double)] = []
        _ = try Trainer(model: trained, options: options, training: training, validation: Self.tokens(count: 60, seed: 2))
            .run(sink: MemorySink(), onEvent: { event in
                if case .progress(let progress) = event { steps.append((progress.window, progress.step, progress.loss)) }
            })
        #expect(steps.map(\.window) == [3, 5] && steps.map(\.step) == [3, 5])
        let losses = try Self.trainByHand(byHand, training: training, options: options, updates: [[0, 1, 2], [3, 4]]).losses
        let (first, all) = (losses[..<3].reduce(0, +) / 3, losses.reduce(0, +) / 5)
        #expect(abs(steps[0].loss - first) <= 1e-9 * first && abs(steps[1].loss - all) <= 1e-9 * all, "\(steps), \(losses)")
        Self.expectClose(trained, byHand)
    }

    /// With `--accumulate 2` a stop and every checkpoint fall between updates (a
    /// checkpoint due at window 7 comes after window 8), never inside one, so a resumed run
    /// ends as the uninterrupted one.
    @Test func accumulatingRunsStopAndCheckpointBetweenUpdatesAndResumeExactly() throws {
        let training = Self.tokens(count: 600, seed: 1)  // 25 windows an epoch
        let validation = Self.tokens(count: 120, seed: 2)
        var options = Self.options()
        options.accumulate = 2
        let whole = try Self.model()
        _ = try Trainer(model: whole, options: options, training: training, validation: validation).run(sink: MemorySink())

        let interrupted = try Self.model()
        let sink = MemorySink()
        var step = 0
        let report = try Trainer(model: interrupted, options: options, training: training, validation: validation)
            .run(sink: sink, stopSignal: { step >= 30 ? 2 : nil }, onEvent: { event in
                if case .progress(let progress) = event { step = progress.step }
            })
        #expect(report.ending == .interrupted(signal: 2))
        #expect(sink.checkpoints.map(\.position.nextWindow) == [8, 14, 22, 0, 6], "every 7 windows, at the update's end")
        let checkpoint = try #require(sink.checkpoints.last)
        #expect(checkpoint.position.epoch == 2 && checkpoint.position.windowsTrained == 31)

        let resumed = try Self.model()
        _ = try Trainer(model: resumed, options: options, training: training, validation: validation, resumingFrom: checkpoint)
            .run(sink: MemorySink())
        #expect(resumed.namedValues == whole.namedValues)
    }

    /// `--bf16`: a mixed-precision run is deterministic, differs from the Float32 run (its
    /// products ran in bfloat16) but learns as it does, and validates in Float32: the
    /// perplexity it reports for its best weights is theirs evaluated without copies.
    @Test func mixedPrecisionTrainsLikeFloat32AndValidatesInFloat32() throws {
        let training = Self.tokens(count: 600, seed: 1)
        let validation = Self.tokens(count: 120, seed: 2)
        var options = Self.options()
        options.bfloat16Products = true
        let (mixed, again, float) = (try Self.model(), try Self.model(), try Self.model())
        let sink = MemorySink()
        let report = try Trainer(model: mixed, options: options, training: training, validation: validation)
            .run(sink: sink)
        _ = try Trainer(model: again, options: options, training: training, validation: validation)
            .run(sink: MemorySink())
        #expect(mixed.namedValues == again.namedValues, "the same seed gives the same model")
        options.bfloat16Products = false
        let floatReport = try Trainer(model: float, options: options, training: training, validation: validation)
            .run(sink: MemorySink())
        #expect(mixed.namedValues != float.namedValues, "the products ran in bfloat16")
        let (perplexity, floatPerplexity) = (try #require(report.bestValidationPerplexity), try #require(floatReport.bestValidationPerplexity))
        #expect(abs(perplexity - floatPerplexity) <= 0.01 * floatPerplexity, "\(perplexity) against \(floatPerplexity)")
        let best = try Self.model()
        try best.load(try #require(sink.best))
        let evaluated = exp(try Trainer(model: best, options: options, training: training, validation: validation).evaluate(validation))
        #expect(evaluated == perplexity, "validation in Float32: \(evaluated) against \(perplexity)")
        #expect(mixed.parameters.allSatisfy { $0.bfloat16 == nil }, "no copies left after training")
    }

    /// Options saved before `bfloat16Products` existed read as a Float32 run; saved ones keep it.
    @Test func optionsWithoutTheBFloat16KeyReadAsFloat32() throws {
        var options = Self.options()
        options.bfloat16Products = true
        let data = try JSONEncoder().encode(options)
        #expect(try JSONDecoder().decode(TrainingOptions.self, from: data) == options)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["bfloat16Products"] = nil
        let older = try JSONDecoder().decode(TrainingOptions.self, from: try JSONSerialization.data(withJSONObject: object))
        options.bfloat16Products = false
        #expect(older == options)
    }

    /// Options saved before `accumulate` existed read as one window per update.
    @Test func optionsWithoutTheAccumulateKeyReadAsOneWindowPerUpdate() throws {
        var options = Self.options()
        options.accumulate = 4
        let data = try JSONEncoder().encode(options)
        #expect(try JSONDecoder().decode(TrainingOptions.self, from: data) == options)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        object["accumulate"] = nil
        let older = try JSONDecoder().decode(TrainingOptions.self, from: try JSONSerialization.data(withJSONObject: object))
        options.accumulate = 1
        #expect(older == options)
    }

    @Test func validationDrivesAnnealingAndTheBestWeights() throws {
        let training = Self.tokens(count: 600, seed: 1)
        var options = Self.options()
        options.epochs = 6
        options.learningRate = 5
        let sink = MemorySink()
        var validations: [LearningRateSchedule.Outcome] = []
        let report = try Trainer(model: try Self.model(), options: options, training: training, validation: Self.tokens(count: 100, seed: 9))
            .run(sink: sink, onEvent: { event in
                if case .validation(_, _, _, _, let outcome) = event { validations.append(outcome) }
            })
        #expect(validations.count == 6)
        #expect(sink.bestPerplexities == sink.bestPerplexities.sorted(by: >))
        #expect(report.bestValidationPerplexity == sink.bestPerplexities.last)
        #expect(sink.checkpoints.last?.position.finished == true)
    }

    /// `--lr-decay linear`: each window's update runs at the rate times the share of all
    /// epochs' tokens still to come, so the last window's rate is close to zero.
    @Test func linearDecayUpdatesAtTheShareOfTheRunLeft() throws {
        let training = Self.tokens(count: 600, seed: 1)
        let validation = Self.tokens(count: 100, seed: 9)
        var options = Self.options()
        options.epochs = 2
        options.annealFactor = 1
        options.learningRate = 5
        let tokensPerEpoch = try Batcher(tokens: training, batchSize: options.batchSize, windowLength: options.windowLength).tokensPerEpoch
        func train(_ decay: LearningRateDecay) throws -> (weights: [String: [Float]], rates: [(Float, Int)]) {
            options.learningRateDecay = decay
            let model = try Self.model()
            var rates: [(Float, Int)] = []
            _ = try Trainer(model: model, options: options, training: training, validation: validation)
                .run(sink: MemorySink(), onEvent: { event in
                    if case .progress(let progress) = event { rates.append((progress.learningRate, progress.tokensSeen)) }
                })
            return (model.namedValues, rates)
        }
        let decayed = try train(.linear)
        var tokensBefore = 0
        for (rate, tokensSeen) in decayed.rates {
            let expected = 5 * (1 - Float(tokensBefore) / Float(2 * tokensPerEpoch))
            #expect(abs(rate - expected) < 1e-5, "rate \(rate) after \(tokensBefore) tokens, expected \(expected)")
            tokensBefore = tokensSeen
        }
        #expect(tokensBefore == 2 * tokensPerEpoch)
        #expect(try #require(decayed.rates.last).0 < 5 * Float(options.batchSize * options.windowLength) / Float(tokensPerEpoch))
        let constant = try train(.none)
        #expect(constant.rates.allSatisfy { $0.0 == 5 })
        #expect(decayed.weights != constant.weights)
    }

    /// A budget that runs out mid-epoch stops there, validates the partial epoch, keeps its
    /// weights when they are the best, and leaves a checkpoint that resumes mid-epoch.
    @Test func aTimeBudgetStopsMidEpochKeepingTheBest() throws {
        var options = Self.options()
        options.epochs = 1000
        options.maxMinutes = 0.3 / 60  // 0.3 s
        let sink = MemorySink()
        var budgetValidations: [(Double, Bool)] = []
        let report = try Trainer(
            model: try Self.model(), options: options, training: Self.tokens(count: 60_000, seed: 1),
            validation: Self.tokens(count: 100, seed: 9)
        ).run(sink: sink, onEvent: { event in
            if case .budgetValidation(_, _, let perplexity, let improved) = event { budgetValidations.append((perplexity, improved)) }
        })
        #expect(report.ending == .timeBudget)
        #expect(report.epochs < 1000)
        let last = try #require(sink.checkpoints.last)
        #expect(!last.position.finished && last.position.nextWindow > 0)
        #expect(budgetValidations.count == 1)
        if let (perplexity, improved) = budgetValidations.first, improved {
            #expect(sink.bestPerplexities.last == perplexity)
        }
    }

    @Test func divergenceStopsBeforeAnythingNonFiniteIsSaved() throws {
        var options = Self.options()
        options.learningRate = 1e30
        options.clip = nil
        let sink = MemorySink()
        #expect(throws: TrainingError.self) {
            try Trainer(model: try Self.model(), options: options, training: Self.tokens(count: 600, seed: 1), validation: Self.tokens(count: 60, seed: 2))
                .run(sink: sink)
        }
        for checkpoint in sink.checkpoints { #expect(checkpoint.parameters.values.allSatisfy { $0.allSatisfy(\.isFinite) }) }
        #expect(sink.best.map { $0.values.allSatisfy { $0.allSatisfy(\.isFinite) } } ?? true)
    }

    /// Issue 3's check through the library API: a few hundred steps on Tiny Shakespeare
    /// at character level bring the loss well below the unigram entropy of the text.
    @Test func lossFallsWellBelowTheUnigramEntropyOnRealText() throws {
        let path = try #require(SharedFiles.path("corpora/tinyshakespeare/train.txt"), "../shared corpora missing")
        let corpus = try Corpus.tokenize(path: path, tokenizer: Tokenizer(options: TokenizerOptions(mode: .character)))
        let vocabulary = Vocabulary(counts: corpus.counts)
        let ids = Array(corpus.encoded(0..<120_000, with: vocabulary).ids)
        var counts = [Int](repeating: 0, count: vocabulary.count)
        for id in ids { counts[Int(id)] += 1 }
        let unigramEntropy = counts.filter { $0 > 0 }.reduce(0.0) {
            let p = Double($1) / Double(ids.count)
            return $0 - p * log(p)
        }
        var generator = RandomGenerator(seed: 11)
        let model = try LanguageModel(
            configuration: ModelConfiguration(vocabularySize: vocabulary.count, embeddingSize: 32, hiddenSize: 96, layers: 1, dropout: 0),
            generator: &generator)
        var options = TrainingOptions()
        options.batchSize = 32
        options.windowLength = 32
        options.epochs = 3
        options.optimizer = .adam
        options.learningRate = 0.005
        options.clip = 1
        options.checkpointEvery = 100_000
        let trainer = try Trainer(model: model, options: options, training: Array(ids[0..<100_000]), validation: Array(ids[100_000...]))
        let report = try trainer.run(sink: MemorySink())
        let validationLoss = log(try #require(report.bestValidationPerplexity))
        #expect(validationLoss < unigramEntropy - 0.8, "validation \(validationLoss) nats vs unigram \(unigramEntropy)")
    }
}

/// `--unk-alpha`: a model that has seen training words read as `<unk>` expects unknown
/// words; one trained on every word as itself gives `<unk>` little probability.
@Suite struct UnknownWordAlphaTrainingTests {
    /// The mean probability the trained model gives `<unk>` over a validation window.
    static func unknownProbability(alpha: Float) throws -> Double {
        var options = TrainerTests.options()
        options.unknownWordAlpha = alpha
        let training = TrainerTests.tokens(count: 600, seed: 1).map { $0 == 0 ? 1 : $0 }  // no <unk> in the text
        let model = try TrainerTests.model()
        let trainer = try Trainer(
            model: model, options: options, training: training, validation: TrainerTests.tokens(count: 120, seed: 2))
        _ = try trainer.run(sink: MemorySink())
        let inputs = TrainerTests.tokens(count: 48, seed: 3)
        var state = RecurrentState(zerosFor: model.configuration, batchSize: 4)
        let logits = model.logits(inputs: inputs, windowLength: 12, batchSize: 4, state: &state).values
        let vocabulary = model.configuration.vocabularySize
        var sum = 0.0
        for row in 0..<48 {
            let scores = logits[row * vocabulary..<(row + 1) * vocabulary].map(Double.init)
            let largest = scores.max()!
            sum += exp(scores[0] - largest) / scores.map { exp($0 - largest) }.reduce(0, +)
        }
        return sum / 48
    }

    @Test func readingWordsAsUnknownTeachesTheModelToExpectThem() throws {
        let without = try Self.unknownProbability(alpha: 0)
        let with = try Self.unknownProbability(alpha: 5)
        #expect(without < 0.02, "\(without)")
        #expect(with > 5 * without && with > 0.03, "\(with) against \(without)")
    }
}
