import LMInference
import LMNetwork
import LMTensor
import Testing

@testable import LMTraining

/// Data-parallel training (``DataParallelGroup``), its processes standing in threads of
/// this test (``ThreadCollectives``): two processes with half the streams each train as
/// one process with the whole batch does, dropout masks and the embedding's row-sparse
/// gradient included, stop together, and checkpoint the whole batch's state.
@Suite struct DataParallelGroupTests {
    /// Every window's running mean loss, and the last checkpoint, of one process's run.
    struct Run {
        var losses: [Double] = []
        var checkpoint: TrainingCheckpoint?
        var ending: TrainingReport.Ending = .completed
    }

    static func train(
        options: TrainingOptions, group: DataParallelGroup? = nil, resumingFrom checkpoint: TrainingCheckpoint? = nil,
        stopSignal: @escaping (Int) -> Int32? = { _ in nil }
    ) throws -> Run {
        let sink = MemorySink()
        var run = Run()
        let trainer = try Trainer(
            model: try TrainerTests.model(), options: options, training: TrainerTests.tokens(count: 600, seed: 1),
            validation: TrainerTests.tokens(count: 120, seed: 2), resumingFrom: checkpoint, group: group)
        let report = try trainer.run(sink: sink, stopSignal: { stopSignal(run.losses.count) }) { event in
            if case .progress(let progress) = event { run.losses.append(progress.loss) }
        }
        run.checkpoint = sink.checkpoints.last
        run.ending = report.ending
        return run
    }

    /// Runs `train` as `processes` thread-processes.
    static func trainInParallel(
        processes: Int, spanningMachines: Bool = false, sharingMemory: Bool? = nil, options: TrainingOptions,
        resumingFrom checkpoint: TrainingCheckpoint? = nil,
        stopSignal: @escaping @Sendable (_ rank: Int, _ window: Int) -> Int32? = { _, _ in nil }
    ) throws -> [Run] {
        nonisolated(unsafe) let checkpoint = checkpoint
        return try ThreadCollectives.run(
            processes: processes, spanningMachines: spanningMachines, sharingMemory: sharingMemory
        ) { rank, collectives in
            try train(
                options: options, group: DataParallelGroup(collectives), resumingFrom: checkpoint,
                stopSignal: { stopSignal(rank, $0) })
        }
    }

    static func expectClose(_ a: [Double], _ b: [Double], relative: Double = 1e-5) {
        #expect(a.count == b.count)
        for (index, (x, y)) in zip(a, b).enumerated() {
            #expect(abs(x - y) <= relative * abs(x), "window \(index + 1): \(x) and \(y)")
        }
    }

    /// The model has dropout 0.1 and an untied (row-sparse) embedding; batch 4, two
    /// processes of 2 streams, 3 epochs of windows.
    @Test func twoProcessesTrainAsOneWithTheWholeBatch() throws {
        let options = TrainerTests.options()
        let one = try Self.train(options: options)
        let two = try Self.trainInParallel(processes: 2, options: options)
        Self.expectClose(one.losses, two[0].losses)
        #expect(two[0].losses == two[1].losses)
        let (whole, parts) = (try #require(one.checkpoint), try #require(two[0].checkpoint))
        #expect(parts.parameters == (try #require(two[1].checkpoint)).parameters)
        // The checkpoint holds the whole batch's state, [B, H] per tensor, as one process's does.
        for (name, values) in whole.recurrentState {
            let gathered = try #require(parts.recurrentState[name])
            #expect(gathered.count == values.count)
            #expect(zip(values, gathered).allSatisfy { abs($0 - $1) <= 1e-3 }, "\(name)")
        }
    }

    /// `--shards 2` in each of two processes: each process's shards add their gradients
    /// into its gradients in shared memory, which the processes then sum; the run trains
    /// as one process with 4 shards of the same batch does (to the order of the sums).
    @Test func twoProcessesOfTwoShardsTrainAsOneProcessOfFour() throws {
        var options = TrainerTests.options()
        options.shards = 4
        let one = try Self.train(options: options)
        options.shards = 2
        let two = try Self.trainInParallel(processes: 2, options: options)
        Self.expectClose(one.losses, two[0].losses)
        #expect(two[0].losses == two[1].losses)
        #expect(try #require(two[0].checkpoint).parameters == (try #require(two[1].checkpoint)).parameters)
    }

    /// `--accumulate 2`: two processes add up two windows' gradients each and average
    /// them once per update, as one process with the whole batch does: the same losses
    /// (each update's mean over its windows), the same weights. 25 windows an epoch, so
    /// each epoch ends with an update of one window.
    @Test func twoProcessesAccumulateAsOneProcessDoes() throws {
        var options = TrainerTests.options()
        options.accumulate = 2
        let one = try Self.train(options: options)
        let two = try Self.trainInParallel(processes: 2, options: options)
        #expect(one.losses.count == 3 * 13, "13 updates an epoch")
        Self.expectClose(one.losses, two[0].losses)
        #expect(two[0].losses == two[1].losses)
        let (whole, parts) = (try #require(one.checkpoint), try #require(two[0].checkpoint))
        #expect(parts.parameters == (try #require(two[1].checkpoint)).parameters)
        #expect(whole.position.windowsTrained == 75 && parts.position.windowsTrained == 75)
        for (name, values) in whole.parameters {
            let parallel = try #require(parts.parameters[name])
            #expect(parallel.count == values.count)
            #expect(zip(values, parallel).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($0)) }, "\(name)")
        }
        let perWindow = try Self.train(options: TrainerTests.options())
        #expect(perWindow.checkpoint?.parameters != whole.parameters, "accumulating changed the training")
    }

    /// The three ways of summing give the same sums, so the same weights, bit for bit, with
    /// and without `--accumulate`: processes of one machine summing their gradients in
    /// the memory they share, or by messages after the backward pass (where they cannot
    /// share memory), and processes on several machines summing each layer's gradients on
    /// the averaging thread while the backward pass goes on.
    @Test(arguments: [1, 2])
    func everyWayOfSummingTrainsTheSameWeights(accumulate: Int) throws {
        var options = TrainerTests.options()
        options.accumulate = accumulate
        let shared = try Self.trainInParallel(processes: 2, options: options)
        let after = try Self.trainInParallel(processes: 2, sharingMemory: false, options: options)
        let beside = try Self.trainInParallel(processes: 2, spanningMachines: true, options: options)
        #expect(shared[0].losses == after[0].losses)
        #expect(shared[0].losses == beside[0].losses)
        let weights = try #require(shared[0].checkpoint).parameters
        for run in [shared[1], after[0], after[1], beside[0], beside[1]] {
            #expect(weights == (try #require(run.checkpoint)).parameters)
        }
    }

    @Test func aSignalToOneProcessStopsEveryProcessAtTheSameWindow() throws {
        let runs = try Self.trainInParallel(processes: 2, options: TrainerTests.options()) { rank, window in
            rank == 1 && window >= 9 ? 15 : nil
        }
        for run in runs {
            #expect(run.ending == .interrupted(signal: 15))
            #expect(run.checkpoint?.position.windowsTrained == 9)
        }
    }

    /// Before each window the processes agree on the lowest-ranked signal and on process
    /// 0's clock, which decides the time budget everywhere.
    @Test func processesAgreeOnTheSignalAndOnProcessZerosClock() throws {
        let signals: [Int32?] = [nil, 15, 2]
        let agreed = try ThreadCollectives.run(processes: 3) { rank, collectives in
            try DataParallelGroup(collectives).agreeBeforeWindow(signal: signals[rank], seconds: 10 + Double(rank))
        }
        #expect(agreed.map(\.signal) == [15, 15, 15])
        #expect(agreed.map(\.seconds) == [10, 10, 10])
    }

    /// A rate that decays with time (`--lr-decay linear` under a budget) decays by process
    /// 0's clock everywhere: by its own, each process would update its weights by another
    /// rate, and the checkpoint's check would find them apart.
    @Test func aRateDecayingWithTimeDecaysAlikeInEveryProcess() throws {
        var options = TrainerTests.options()
        options.epochs = 1000
        options.maxMinutes = 0.02
        options.learningRateDecay = .linear
        let runs = try Self.trainInParallel(processes: 2, options: options)
        #expect(runs.allSatisfy { $0.ending == .timeBudget })
        #expect(runs[0].checkpoint?.parameters == runs[1].checkpoint?.parameters)
    }

    /// A run resumed from a two-process checkpoint goes on as the uninterrupted one.
    @Test func resumingATwoProcessRunContinuesIt() throws {
        let options = TrainerTests.options()
        let whole = try Self.trainInParallel(processes: 2, options: options)[0]
        let stopped = try Self.trainInParallel(processes: 2, options: options) { _, window in window >= 31 ? 2 : nil }[0]
        let resumed = try Self.trainInParallel(processes: 2, options: options, resumingFrom: stopped.checkpoint)[0]
        #expect(resumed.checkpoint?.parameters == whole.checkpoint?.parameters)
    }

    @Test func aBatchTheProcessesCannotShareIsRefused() throws {
        var options = TrainerTests.options()
        options.batchSize = 5
        #expect(throws: BatchSplitError.self) {
            _ = try Self.trainInParallel(processes: 2, options: options)
        }
    }

    /// Processes that read different texts, or start from different weights (say, another
    /// machine's stale checkpoint), are stopped before they train.
    @Test func processesThatDisagreeAtTheStartAreRefused() throws {
        let options = TrainerTests.options()
        let validation = TrainerTests.tokens(count: 120, seed: 2)
        for (difference, expected) in [("text", TrainingError.processesReadDifferentTexts), ("weights", .processesHoldDifferentWeights)] {
            let outcomes = try ThreadCollectives.run(processes: 2) { rank, collectives -> TrainingError? in
                let training = TrainerTests.tokens(count: 600, seed: difference == "text" ? UInt64(1 + rank) : 1)
                var generator = RandomGenerator(seed: difference == "weights" ? UInt64(3 + rank) : 3)
                let model = try LanguageModel(configuration: TrainerTests.configuration, generator: &generator)
                do {
                    _ = try Trainer(
                        model: model, options: options, training: training, validation: validation,
                        group: DataParallelGroup(collectives))
                    return nil
                } catch let error as TrainingError { return error }
            }
            #expect(outcomes == [expected, expected], "\(difference)")
        }
    }

    /// Validation split between the processes scores what one process scores, summed in
    /// another order (and products of other shapes); an evaluation batch they cannot share (3) is scored whole by each.
    @Test(arguments: [10, 3])
    func processesShareTheValidationStreams(batchSize: Int) throws {
        let tokens = TrainerTests.tokens(count: 400, seed: 5)
        let alone = Evaluator(model: try TrainerTests.model(), batchSize: batchSize, windowLength: 6).evaluate(tokens)
        let shared = try ThreadCollectives.run(processes: 2) { _, collectives in
            try DataParallelGroup(collectives).crossEntropy(
                of: tokens, model: try TrainerTests.model(), batchSize: batchSize, windowLength: 6)
        }
        #expect(shared[0] == shared[1])
        #expect(abs(shared[0] - alone.crossEntropy) <= 1e-9 * alone.crossEntropy)  // Float32 products of other shapes
    }

    /// Each process's row-sparse embedding gradient touches other rows; the sum holds the
    /// union, each row the sum over the processes (zero where a process did not touch it).
    @Test func rowSparseGradientsSumOverTheUnionOfTheirRows() throws {
        let touched: [[(row: Int, value: Float)]] = [[(4, 2), (1, 6)], [(1, 4), (7, 8)]]
        let gradients = try ThreadCollectives.run(processes: 2) { rank, collectives in
            let parameter = Parameter(name: "encoder.weight", shape: [9, 2], rowSparseGradient: true)
            for (row, value) in touched[rank] { parameter.rowGradient!.add(row: row, [value, -value]) }
            let group = DataParallelGroup(collectives)
            group.startSumming([parameter])
            let loss = try group.finishSumming(loss: Double(rank))
            return (parameter.rowGradient!.rows, parameter.gradientValues, loss)
        }
        for (rows, values, loss) in gradients {
            #expect(rows == [1, 4, 7])
            var expected = [Float](repeating: 0, count: 18)
            (expected[2], expected[3], expected[8], expected[9], expected[14], expected[15]) = (10, -10, 2, -2, 8, -8)
            #expect(values == expected)
            #expect(loss == 0.5)
        }
    }
}
