import LMTensor

/// A training window's streams split between `S` shards, each trained from the window's
/// first step to its last by one thread, on its own follower of the model (the model's
/// weights, gradients and activations of its own: ``LanguageModel/makeFollower()``).
///
/// Split product by product, the threads wait for each other hundreds of times a window,
/// and beside another busy process every wait for a thread that lost its core costs a
/// scheduler time slice. Split by streams, they meet once a window: a thread that another
/// process slows down delays the others by what it has left of its shard, and the threads
/// claim the shards as they become free.
///
/// The shards' gradients are added into the model's in shard order, so results depend on
/// `S` and never on the thread count: with fewer threads than shards, a thread trains
/// several shards one after another. The once-per-window masks (the embedding's rows, the
/// weight drop's) are drawn once, by the model; each shard draws its part of the whole
/// batch's dropout masks from its own copy of the generator, which every shard advances
/// alike. `S = 1` is ``LanguageModel/trainWindow(inputs:targets:windowLength:batchSize:state:generator:shard:gradientsReady:)``
/// itself.
public final class WindowShards {
    public let model: LanguageModel
    /// The streams of the batch this process trains (all of them for one process), split.
    public let shards: [BatchShard]
    /// The same shards among this process's streams: their columns of a window `[T, B']`.
    private let local: [BatchShard]
    /// Shard `s` runs on `models[s]`: the model itself for shard 0, followers for the rest.
    private let models: [LanguageModel]
    /// `[B'/S, H]` per shard: its rows of the process's state, carried over the window.
    private let states: [RecurrentState]

    /// Splits `streams` (this process's streams of the batch) into `count` shards;
    /// `count` must divide `streams.count`.
    public init(model: LanguageModel, streams: BatchShard, count: Int) {
        self.model = model
        shards = streams.split(into: count)
        local = BatchShard(wholeBatchOf: streams.count).split(into: count)
        models = [model] + (1..<count).map { _ in model.makeFollower() }
        states = shards.map { RecurrentState(zerosFor: model.configuration, batchSize: $0.count) }
    }

    public var count: Int { shards.count }

    /// Forward and backward over one window of this process's streams, `inputs` and
    /// `targets` `[T, B']`, carrying `state` `[B', H]`: adds into the model's gradients the
    /// sum over shards of the gradient of each shard's mean loss (`S` times the gradient
    /// of the window's mean loss: the update divides by `S`), and hands every parameter to
    /// `gradientsReady` once they are final (with one shard, layer by layer as the
    /// backward pass goes; with several, all at once after the sum).
    /// - Returns: mean cross-entropy in nats per token over the window.
    public func trainWindow(
        inputs: [Int32], targets: [Int32], windowLength: Int, state: RecurrentState, generator: inout RandomGenerator,
        gradientsReady: ([Parameter]) -> Void = { _ in }
    ) -> Double {
        guard count > 1 else {
            var state = state
            return model.trainWindow(
                inputs: inputs, targets: targets, windowLength: windowLength, batchSize: shards[0].count, state: &state,
                generator: &generator, shard: shards[0], gradientsReady: gradientsReady)
        }
        model.beginTrainingWindow(generator: &generator)
        var generators = [RandomGenerator](repeating: generator, count: count)
        var losses = [Double](repeating: 0, count: count)
        for (shard, shardState) in zip(local, states) { state.copyRows(shard.streams, into: shardState) }
        generators.withUnsafeMutableBufferPointer { generators in
            losses.withUnsafeMutableBufferPointer { losses in
                ComputeThreads.forEach(parts: count, long: true) { index in
                    if index > 0 {
                        models[index].follow(model)
                        models[index].zeroGradients()
                    }
                    losses[index] = models[index].trainStreams(
                        inputs: local[index].columns(of: inputs), targets: local[index].columns(of: targets),
                        windowLength: windowLength, batchSize: local[index].count, state: states[index],
                        generator: &generators[index], shard: shards[index], finished: { _ in })
                }
            }
        }
        generator = generators[0]  // every shard made the same draws
        for (shard, shardState) in zip(local, states) { shardState.copyRows(into: state, at: shard.first) }
        for follower in models.dropFirst() { model.addGradients(of: follower) }
        for layer in 0..<model.configuration.layers { model.endWeightDrop(layer: layer) }
        gradientsReady(model.parameters)
        return losses.reduce(0, +) / Double(count)
    }
}
