import Foundation
import LMTensor
import Testing

@testable import LMNetwork

/// A window's streams split between shards, each trained by one thread (``WindowShards``):
/// the thread count changes nothing, and the shards together compute the whole batch's
/// update, with every regulariser on.
@Suite(.serialized) struct WindowShardsTests {
    static let (windowLength, batchSize, windows) = (5, 4, 3)

    static func configuration(_ cell: CellKind, variational: Bool) -> ModelConfiguration {
        var configuration = ModelConfiguration(vocabularySize: 13, embeddingSize: 6, hiddenSize: 7, cell: cell, dropout: 0.2)
        (configuration.inputDropout, configuration.hiddenDropout, configuration.outputDropout) = (0.3, 0.25, 0.4)
        (configuration.weightDrop, configuration.embeddingDropout) = (0.5, 0.1)
        (configuration.activationPenalty, configuration.temporalActivationPenalty) = (2, 1)
        configuration.variationalDropout = variational
        return configuration
    }

    /// What `windows` windows of training leave: each window's loss, the weights after
    /// each window's SGD step (rate 0.5 on the mean of the shards' gradients) and the state.
    struct Outcome: Equatable {
        var losses: [Double] = []
        var weights: [String: [Float]] = [:]
        var state: [String: [Float]] = [:]
    }

    /// One thread: the whole run inside a part of a job, where every job runs on its
    /// caller alone (the pool's thread count is left alone: other tests run beside).
    static func train(
        _ configuration: ModelConfiguration, shards: Int, threads: Int, bfloat16: Bool = false
    ) throws -> Outcome {
        guard threads == 1 else { return try train(configuration, shards: shards, bfloat16: bfloat16) }
        var outcome: Result<Outcome, any Error>?
        ComputeThreads.forEach(parts: 2) { part in
            if part == 0 { outcome = Result { try train(configuration, shards: shards, bfloat16: bfloat16) } }
        }
        return try outcome!.get()
    }

    /// On the pool's threads.
    static func train(_ configuration: ModelConfiguration, shards: Int, bfloat16: Bool) throws -> Outcome {
        var generator = RandomGenerator(seed: 5)
        let model = try LanguageModel(configuration: configuration, generator: &generator)
        let windowShards = WindowShards(model: model, streams: BatchShard(wholeBatchOf: batchSize), count: shards)
        let state = RecurrentState(zerosFor: configuration, batchSize: batchSize)
        var outcome = Outcome()
        for _ in 0..<windows {
            let ids = (0..<2 * windowLength * batchSize).map { _ in Int32(generator.next() % 13) }
            model.zeroGradients()
            if bfloat16 { model.copyWeightsToBFloat16() }
            outcome.losses.append(
                windowShards.trainWindow(
                    inputs: Array(ids.prefix(windowLength * batchSize)), targets: Array(ids.suffix(windowLength * batchSize)),
                    windowLength: windowLength, state: state, generator: &generator))
            for parameter in model.parameters {
                let gradient = parameter.gradientValues
                for index in 0..<parameter.value.count { parameter.value[index] -= 0.5 * gradient[index] / Float(shards) }
            }
        }
        outcome.weights = model.namedValues
        outcome.state = state.namedValues
        return outcome
    }

    @Test(arguments: [(CellKind.lstm, false), (.gru, true), (.rnnTanh, false)])
    func theThreadCountChangesNothing(cell: CellKind, variational: Bool) throws {
        let configuration = Self.configuration(cell, variational: variational)
        let oneThread = try Self.train(configuration, shards: 2, threads: 1)
        #expect(try Self.train(configuration, shards: 2, threads: 2) == oneThread)
        #expect(try Self.train(configuration, shards: 4, threads: 2) == Self.train(configuration, shards: 4, threads: 1))
    }

    @Test func theThreadCountChangesNothingInBFloat16() throws {
        let configuration = Self.configuration(.lstm, variational: true)
        #expect(
            try Self.train(configuration, shards: 2, threads: 2, bfloat16: true)
                == Self.train(configuration, shards: 2, threads: 1, bfloat16: true))
    }

    /// Two or four shards compute the whole batch's losses, update and state, to the
    /// order of the sums: the same masks, the same mean gradient.
    @Test(arguments: [CellKind.lstm, .gru])
    func shardsTogetherComputeTheWholeBatchsUpdate(cell: CellKind) throws {
        let configuration = Self.configuration(cell, variational: true)
        let whole = try Self.train(configuration, shards: 1, threads: 1)
        for shards in [2, 4] {
            let split = try Self.train(configuration, shards: shards, threads: 2)
            for (a, b) in zip(split.losses, whole.losses) { #expect(abs(a - b) <= 1e-5 * abs(b)) }
            for (name, values) in whole.weights {
                let largest = zip(try #require(split.weights[name]), values).map { abs($0 - $1) }.max() ?? 0
                #expect(largest <= 1e-5, "\(name) with \(shards) shards")
            }
            for (name, values) in whole.state {
                let largest = zip(try #require(split.state[name]), values).map { abs($0 - $1) }.max() ?? 0
                #expect(largest <= 1e-5, "state \(name) with \(shards) shards")
            }
        }
    }
}
