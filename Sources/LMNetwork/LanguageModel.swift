import LMTensor

/// The word-language-model of the PyTorch example: embedding → dropout → `L` recurrent
/// layers (dropout between them) → dropout → linear decoder → softmax over the
/// vocabulary, or the adaptive softmax in its place (``ModelConfiguration/softmax``). Parameter names, shapes and gate order are PyTorch's, so weights move
/// between the two unchanged (see ``parameters``). Training windows may add AWD-LSTM's
/// regularisers (``ModelConfiguration``): embedding dropout, weight drop on `W_hh`, and
/// penalties on the last layer's activations.
///
/// Inputs and targets are token ids in `[T, B]` layout, row-major (`t · B + b`).
public final class LanguageModel {
    public let configuration: ModelConfiguration
    /// In PyTorch's `named_parameters()` order; a tied decoder weight appears once, as
    /// `encoder.weight`.
    public let parameters: [Parameter]
    let embedding: Embedding
    let layers: [RecurrentLayer]
    /// The full softmax's ``Decoder`` or the ``AdaptiveSoftmax``.
    let decoder: any OutputLayer
    /// The decoder's parameters in ``parameters`` (a tied weight is the embedding's).
    private let decoderParameters: [Parameter]
    /// On the embedding output (0), between layers (`1..<L`) and before the decoder (`L`).
    private var dropouts: [Dropout]
    private var embeddingDropout: EmbeddingDropout
    /// Per layer, one per recurrent weight (``RecurrentLayer/recurrentWeights``).
    private var weightDrops: [[WeightDrop]]
    /// The penalties on the last layer's activations.
    private let activationPenalties: ActivationPenalties
    /// `[T, B, H]`: the last layer's outputs before dropout, from the last training forward.
    private var topLayerOutputs: UnsafePointer<Float>?
    /// The activation penalties (AR + TAR) of the last training window, added to its
    /// loss's gradient but not to the cross-entropy ``trainWindow(inputs:targets:windowLength:batchSize:state:generator:)`` returns.
    public private(set) var lastActivationPenalty = 0.0

    // Window workspaces.
    /// `[T, B, E]` embedded (and dropped-out) inputs.
    private var embedded = Workspace()
    /// `[T, B, H]` per layer: the dropped-out outputs fed onward (layer L−1: to the decoder).
    private var layerOutputs: [Workspace]
    /// `[T, B, max(E, H)]` gradient buffers, two so a layer reads one and writes the other.
    private var gradientA = Workspace()
    private var gradientB = Workspace()
    /// `[V, E]`: the embedding table's gradient when the first layer computes it by token
    /// (``InputGradient/table(_:)``).
    private var embeddingGradient = Workspace()

    /// A model with every parameter zero, to be loaded (``load(_:)``, or a model file).
    public init(configuration: ModelConfiguration) throws(ConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        let vocabulary = configuration.vocabularySize
        let encoderWeight = Parameter(
            name: "encoder.weight", shape: [vocabulary, configuration.embeddingSize],
            rowSparseGradient: !configuration.tieWeights)
        embedding = Embedding(weight: encoderWeight)
        // The layers and the decoder run one after another: one buffer holds whichever
        // weight is packed for the work at hand.
        let packing = PackedMatrix.Storage()
        layers = (0..<configuration.layers).map { index in
            let (inputSize, hidden) = (configuration.inputSize(ofLayer: index), configuration.hiddenSize(ofLayer: index))
            return switch configuration.cell {
            case .lstm:
                LSTMLayer(
                    layer: index, inputSize: inputSize, hiddenSize: hidden, peephole: configuration.peephole,
                    packing: packing)
            case .gru: GRULayer(layer: index, inputSize: inputSize, hiddenSize: hidden, packing: packing)
            case .rnnTanh:
                SimpleRecurrentLayer(
                    layer: index, inputSize: inputSize, hiddenSize: hidden, nonlinearity: .tanh, packing: packing)
            case .rnnReLU:
                SimpleRecurrentLayer(
                    layer: index, inputSize: inputSize, hiddenSize: hidden, nonlinearity: .relu, packing: packing)
            }
        }
        switch configuration.softmax {
        case .full:
            let decoderWeight =
                configuration.tieWeights ? encoderWeight : Parameter(name: "decoder.weight", shape: [vocabulary, configuration.outputSize])
            let bias = Parameter(name: "decoder.bias", shape: [vocabulary])
            decoder = Decoder(weight: decoderWeight, bias: bias, packing: packing)
            decoderParameters = configuration.tieWeights ? [bias] : [decoderWeight, bias]
        case .adaptive:
            let adaptive = AdaptiveSoftmax(
                inputSize: configuration.outputSize, vocabularySize: vocabulary, cutoffs: configuration.cutoffs,
                tailWidths: configuration.tailWidths, packing: packing)
            decoder = adaptive
            decoderParameters = adaptive.parameters
        }
        parameters = [encoderWeight] + layers.flatMap(\.parameters) + decoderParameters
        let rates = configuration.dropoutRates
        dropouts = (0...configuration.layers).map { index in
            let rate = index == 0 ? rates.input : index == configuration.layers ? rates.output : rates.hidden
            return Dropout(probability: rate, variational: configuration.variationalDropout)
        }
        embeddingDropout = EmbeddingDropout(probability: configuration.embeddingDropout)
        weightDrops = layers.map { $0.recurrentWeights.map { _ in WeightDrop(probability: configuration.weightDrop) } }
        activationPenalties = ActivationPenalties(
            activation: configuration.activationPenalty, temporal: configuration.temporalActivationPenalty)
        layerOutputs = Array(repeating: Workspace(), count: configuration.layers)
    }

    /// A model initialised as the PyTorch example does: encoder and decoder weights
    /// uniform in (−0.1, 0.1), decoder bias 0, recurrent weights and biases uniform in
    /// (−1/√H, 1/√H) (an adaptive softmax's weights: ±1/√(input width), PyTorch's
    /// default); drawn in parameter order from `generator`.
    public convenience init(configuration: ModelConfiguration, generator: inout RandomGenerator) throws(ConfigurationError) {
        try self.init(configuration: configuration)
        embedding.weight.initializeUniform(-0.1, 0.1, generator: &generator)
        for layer in layers { layer.initializeUniformly(generator: &generator) }
        if !configuration.tieWeights { decoder.initializeUniformly(generator: &generator) }
    }

    /// The parameter stored under PyTorch name `name`, if any.
    public func parameter(named name: String) -> Parameter? {
        parameters.first { $0.name == name } ?? (name == "decoder.weight" && configuration.tieWeights ? embedding.weight : nil)
    }

    /// Rounds every weight matrix of a product (the layers' `weight_ih`/`weight_hh` and the
    /// decoder's weight) to bfloat16 and runs every product on bfloat16 copies
    /// (`BFloat16Matrix`): each product's inputs are rounded to bfloat16 too and the
    /// products summed in Float32. Batch-1 steps read the weights at half the memory
    /// traffic; batches run on AVX512_BF16 where the CPU has it. Every path computes the
    /// same function (to summation order), so evaluation after this call measures the
    /// perplexity cost of what generation runs. For inference only; biases, states and the
    /// embedding table stay Float32 (an untied embedding is a row lookup, not a product).
    public func reduceWeightsToBFloat16() {
        for parameter in productWeights { parameter.reduceToBFloat16() }
    }

    /// Copies every weight matrix of a product to bfloat16 as it is and transposed
    /// (`Parameter.copyToBFloat16()`), the Float32 weights left as they are. Until
    /// ``dropBFloat16Copies()``, every product of a training window runs in bfloat16
    /// (operands rounded, sums in Float32): the forward products and `dY · W` on the copies,
    /// the weight gradients `dYᵀ X` on rounded activations (`BFloat16GradientProduct`).
    /// The weights, the gradients they accumulate and the update stay Float32:
    /// mixed-precision training (`lmtool train --bf16`). The copies do not follow the
    /// weights: make them again after every update.
    public func copyWeightsToBFloat16() {
        for parameter in productWeights { parameter.copyToBFloat16() }
    }

    /// Products run on the Float32 weights again (after ``copyWeightsToBFloat16()``).
    public func dropBFloat16Copies() {
        for parameter in productWeights { parameter.dropBFloat16Copies() }
    }

    /// The weight matrices of products: the layers' `weight_ih`/`weight_hh` and the decoder's.
    private var productWeights: [Parameter] {
        layers.flatMap(\.parameters).filter { $0.shape.count == 2 } + decoder.productWeights
    }

    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    /// Forward and backward over one window with dropout and the configured regularisers:
    /// adds the gradient of the mean loss (plus ``lastActivationPenalty``) into every
    /// parameter and carries `state` to the window's end. In data-parallel training
    /// `shard` names the streams of the whole batch that `inputs` holds (dropout keeps
    /// their part of the whole batch's masks); by default they are the whole batch.
    ///
    /// `gradientsReady` receives the parameters whose gradients are final as soon as they
    /// are, while the backward pass goes on below them: the decoder's, then each layer's
    /// from the top down, then the embedding's; every parameter once (data-parallel
    /// training averages them meanwhile).
    /// - Returns: mean cross-entropy in nats per token.
    public func trainWindow(
        inputs: [Int32], targets: [Int32], windowLength: Int, batchSize: Int, state: inout RecurrentState,
        generator: inout RandomGenerator, shard: BatchShard? = nil, gradientsReady: ([Parameter]) -> Void = { _ in }
    ) -> Double {
        beginTrainingWindow(generator: &generator)
        return trainStreams(
            inputs: inputs, targets: targets, windowLength: windowLength, batchSize: batchSize, state: state,
            generator: &generator, shard: shard ?? BatchShard(wholeBatchOf: batchSize)
        ) { part in
            switch part {
            case .decoder: gradientsReady(decoderParameters)
            case .layer(let index):
                endWeightDrop(layer: index)
                gradientsReady(layers[index].parameters)
            case .embedding: gradientsReady([embedding.weight])
            }
        }
    }

    /// Where the backward pass of ``trainStreams(inputs:targets:windowLength:batchSize:state:generator:shard:finished:)``
    /// has got to: the parameters whose gradients it has just made final.
    package enum FinishedPart {
        case decoder, layer(Int), embedding
    }

    /// The draws a training window makes once for all its streams: the embedding's row
    /// mask and the weight drop's masks (whose `W̃` it writes over the recurrent weights,
    /// until ``endWeightDrop(layer:)``).
    package func beginTrainingWindow(generator: inout RandomGenerator) {
        embeddingDropout.draw(rows: configuration.vocabularySize, generator: &generator)
        for (layer, weights) in layers.map(\.recurrentWeights).enumerated() {
            for (index, weight) in weights.enumerated() { weightDrops[layer][index].begin(weight, generator: &generator) }
        }
    }

    /// Layer `layer`'s weight drop ends: the gradient its weights gathered since
    /// ``beginTrainingWindow(generator:)`` is masked, and `W` is back.
    package func endWeightDrop(layer: Int) {
        for (index, weight) in layers[layer].recurrentWeights.enumerated() { weightDrops[layer][index].end(weight) }
    }

    /// Forward and backward over the streams `shard` of a window whose once-per-window
    /// masks are drawn (``beginTrainingWindow(generator:)``, here or on the model this one
    /// follows), drawing their dropout masks from `generator`: adds the gradient of their
    /// mean loss into every parameter, and calls `finished` as the backward pass makes
    /// each part's gradients final (the decoder's, each layer's from the top down, the
    /// embedding's). `inputs`, `targets` `[T, B']`, `state` `[B', H]` with `B'` =
    /// `batchSize` = `shard.count`.
    /// - Returns: mean cross-entropy in nats per token.
    package func trainStreams(
        inputs: [Int32], targets: [Int32], windowLength: Int, batchSize: Int, state: RecurrentState,
        generator: inout RandomGenerator, shard: BatchShard, finished: (FinishedPart) -> Void
    ) -> Double {
        precondition(shard.count == batchSize, "the shard has \(shard.count) streams, the window \(batchSize)")
        let rows = windowLength * batchSize
        let top = configuration.outputSize
        let outputs = forward(
            inputs: inputs, windowLength: windowLength, batchSize: batchSize, state: state, generator: &generator,
            shard: shard)
        let width = max(configuration.embeddingSize, configuration.hiddenSize, top)
        var upstream = gradientA.reserve(rows * width)
        var downstream = gradientB.reserve(rows * width)
        let loss = decoder.loss(
            hidden: outputs, targets: targets, hiddenGradient: upstream, gradientScale: 1 / Float(rows))
        finished(.decoder)
        let shape = ActivationPenalties.Shape(windowLength: windowLength, batchSize: batchSize, width: top)
        lastActivationPenalty = activationPenalties.addActivation(of: outputs, shape, gradient: upstream)
        dropouts[layers.count].backward(upstream, windowLength: windowLength, batchSize: batchSize, width: top)
        if let topLayerOutputs {
            lastActivationPenalty += activationPenalties.addTemporal(of: topLayerOutputs, shape, gradient: upstream)
        }
        for index in stride(from: layers.count - 1, through: 1, by: -1) {
            let below = configuration.hiddenSize(ofLayer: index - 1)
            layers[index].backward(
                input: layerOutputs[index - 1].reserve(rows * below), outputGradient: upstream, inputGradient: downstream)
            finished(.layer(index))
            swap(&upstream, &downstream)
            dropouts[index].backward(upstream, windowLength: windowLength, batchSize: batchSize, width: below)
        }
        let embedded = embedded.reserve(rows * configuration.embeddingSize)
        if let lookup = embeddingLookup(inputs, dropping: embeddingIsDropped),
            GateWeights.foldingPays(tableRows: lookup.rows, rows: rows)
        {
            // The embedding's gradient from the first layer's gate gradients summed by token.
            let tableGradient = embeddingGradient.reserveZeroed(lookup.rows * configuration.embeddingSize)
            layers[0].backward(
                input: LayerInput(vectors: embedded, lookup: lookup), outputGradient: upstream,
                inputGradient: .table(tableGradient))
            finished(.layer(0))
            embedding.backward(inputs, tableGradient: tableGradient)
        } else {
            layers[0].backward(input: embedded, outputGradient: upstream, inputGradient: downstream)
            finished(.layer(0))
            dropouts[0].backward(downstream, windowLength: windowLength, batchSize: batchSize, width: configuration.embeddingSize)
            embeddingDropout.apply(downstream, ids: inputs, width: configuration.embeddingSize)
            embedding.backward(inputs, outputGradient: downstream)
        }
        finished(.embedding)
        return loss / Double(rows)
    }

    /// A model for another thread's streams of the same windows: its parameters read this
    /// model's weights (``Parameter/share(valueOf:)``) and keep gradients of their own,
    /// and it has its own activations and workspaces. Before each window it follows this
    /// model's masks and bfloat16 copies (``follow(_:)``).
    package func makeFollower() -> LanguageModel {
        let follower = try! LanguageModel(configuration: configuration)  // this model's configuration is valid
        for (own, leading) in zip(follower.parameters, parameters) { own.share(valueOf: leading) }
        return follower
    }

    /// Takes the embedding's row mask of `leader`'s window begun by
    /// ``beginTrainingWindow(generator:)``, and makes bfloat16 copies of the weights as
    /// they are now where `leader` has them, for training or for inference (drops them where
    /// it has none).
    package func follow(_ leader: LanguageModel) {
        embeddingDropout = leader.embeddingDropout
        for (own, leading) in zip(productWeights, leader.productWeights) {
            if leading.bfloat16 != nil {
                own.copyToBFloat16()
            } else if own.bfloat16 != nil {
                own.dropBFloat16Copies()
            }
        }
    }

    /// Adds `follower`'s gradients into this model's, parameter by parameter (a
    /// row-sparse gradient by its touched rows, in the order it touched them).
    package func addGradients(of follower: LanguageModel) {
        for (own, other) in zip(parameters, follower.parameters) {
            if let rows = other.rowGradient {
                for row in rows.rows { own.rowGradient!.add(row: Int(row), rows.row(Int(row))) }
            } else {
                VectorOperations.add(other.gradient.pointer, into: own.gradient.pointer, count: own.gradient.count)
            }
        }
    }

    /// Forward only, without dropout: the sum of `−log p(target)` over the window in
    /// Float64, carrying `state`.
    public func evaluateWindow(
        inputs: [Int32], targets: [Int32], windowLength: Int, batchSize: Int, state: inout RecurrentState
    ) -> Double {
        let top = forward(inputs: inputs, windowLength: windowLength, batchSize: batchSize, state: state, generator: nil)
        return decoder.loss(hidden: top, targets: targets, hiddenGradient: nil, gradientScale: 1)
    }

    /// Logits `[T·B, V]` of a window, without dropout, carrying `state` (with the adaptive
    /// softmax: log-probabilities, whose softmax is the same distribution).
    public func logits(inputs: [Int32], windowLength: Int, batchSize: Int, state: inout RecurrentState) -> Tensor {
        let top = forward(inputs: inputs, windowLength: windowLength, batchSize: batchSize, state: state, generator: nil)
        let logits = Tensor(shape: [windowLength * batchSize, configuration.vocabularySize])
        decoder.logits(top, rows: windowLength * batchSize, into: logits.pointer)
        return logits
    }

    /// ``logits(inputs:windowLength:batchSize:state:)`` written into `logits` (`[T·B, V]`
    /// at its start), and the top layer's outputs that the decoder read them from into
    /// `outputs` (`[T·B, H_last]`): the states a neural cache keeps. The tensors may be
    /// larger than the window and are reused across windows.
    public func logits(
        inputs: [Int32], windowLength: Int, batchSize: Int, state: inout RecurrentState, into logits: Tensor,
        outputs: Tensor
    ) {
        let rows = windowLength * batchSize
        precondition(
            logits.count >= rows * configuration.vocabularySize && outputs.count >= rows * configuration.outputSize,
            "logits and outputs must hold [T·B, V] and [T·B, H_last]")
        let top = forward(inputs: inputs, windowLength: windowLength, batchSize: batchSize, state: state, generator: nil)
        decoder.logits(top, rows: rows, into: logits.pointer)
        outputs.pointer.update(from: top, count: rows * configuration.outputSize)
    }

    /// One generation step: logits `[B, V]` for the next token after `inputs` `[B]`, written
    /// into `logits` (reused across calls), carrying `state` (with the adaptive softmax:
    /// log-probabilities).
    public func stepLogits(inputs: [Int32], state: inout RecurrentState, into logits: Tensor) {
        precondition(logits.count == inputs.count * configuration.vocabularySize, "logits must be [B, V]")
        let top = forward(inputs: inputs, windowLength: 1, batchSize: inputs.count, state: state, generator: nil)
        decoder.logits(top, rows: inputs.count, into: logits.pointer)
    }

    /// Embedding, dropout and the layer stack; dropout only when `generator` is given, with
    /// `shard`'s part of the whole batch's masks.
    /// - Returns: the top layer's (dropped-out) outputs `[T, B, H_last]`.
    private func forward(
        inputs: [Int32], windowLength: Int, batchSize: Int, state: RecurrentState,
        generator: UnsafeMutablePointer<RandomGenerator>?, shard: BatchShard? = nil
    ) -> UnsafeMutablePointer<Float> {
        let shard = shard ?? BatchShard(wholeBatchOf: batchSize)
        precondition(inputs.count == windowLength * batchSize, "inputs must be [T, B]")
        precondition(state.batchSize == batchSize, "state batch size \(state.batchSize) differs from \(batchSize)")
        let rows = windowLength * batchSize
        var current = embedded.reserve(rows * configuration.embeddingSize)
        embedding.forward(inputs, output: current)
        let dropping = generator != nil && embeddingIsDropped
        if let generator, dropping {
            embeddingDropout.apply(current, ids: inputs, width: configuration.embeddingSize)
            dropouts[0].forward(
                current, windowLength: windowLength, shard: shard, width: configuration.embeddingSize,
                generator: &generator.pointee)
        }
        let lookup = embeddingLookup(inputs, dropping: dropping)
        topLayerOutputs = nil
        for (index, layer) in layers.enumerated() {
            let input = LayerInput(vectors: current, lookup: index == 0 ? lookup : nil)
            let output = layer.forward(input, windowLength: windowLength, batchSize: batchSize, state: state.layers[index])
            guard let generator else {
                // No dropout and no backward: the next layer reads the outputs where they are.
                current = output
                continue
            }
            // The layer's own outputs stay in its cache for backward; what goes on may be dropped out.
            if index == layers.count - 1 { topLayerOutputs = UnsafePointer(output) }
            let hidden = configuration.hiddenSize(ofLayer: index)
            let onward = layerOutputs[index].reserve(rows * hidden)
            VectorOperations.copy(output, to: onward, count: rows * hidden)
            dropouts[index + 1].forward(
                onward, windowLength: windowLength, shard: shard, width: hidden, generator: &generator.pointee)
            current = onward
        }
        return current
    }

    private func forward(
        inputs: [Int32], windowLength: Int, batchSize: Int, state: RecurrentState, generator: inout RandomGenerator,
        shard: BatchShard
    ) -> UnsafeMutablePointer<Float> {
        withUnsafeMutablePointer(to: &generator) { pointer in
            forward(
                inputs: inputs, windowLength: windowLength, batchSize: batchSize, state: state, generator: pointer,
                shard: shard)
        }
    }

    /// Whether training changes the embedded vectors (dropout or embedding dropout).
    private var embeddingIsDropped: Bool { dropouts[0].isActive || embeddingDropout.isActive }

    /// The first layer's inputs as rows of the embedding table, which they are unless
    /// dropout changes them: the layer may then project the table instead of the inputs
    /// (``TableLookup``).
    private func embeddingLookup(_ inputs: [Int32], dropping: Bool) -> TableLookup? {
        dropping ? nil : TableLookup(table: embedding.weight.value.pointer, rows: configuration.vocabularySize, ids: inputs)
    }

    /// Parameter values by PyTorch name (with `decoder.weight` also listed when tied, as
    /// PyTorch's `state_dict()` does).
    public var namedValues: [String: [Float]] {
        var values = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.value.values) })
        if configuration.tieWeights { values["decoder.weight"] = embedding.weight.value.values }
        return values
    }

    /// Sets every parameter from `values` by name.
    /// - Throws: ``ParameterMismatch`` naming the first missing or wrongly sized tensor.
    public func load(_ values: [String: [Float]]) throws(ParameterMismatch) {
        for parameter in parameters {
            guard let stored = values[parameter.name] else { throw .missing(parameter.name) }
            guard stored.count == parameter.value.count else {
                throw .wrongSize(parameter.name, expected: parameter.value.count, found: stored.count)
            }
            parameter.value.assign(stored)
        }
    }
}

public enum ParameterMismatch: Error, Equatable, CustomStringConvertible {
    case missing(String)
    case wrongSize(String, expected: Int, found: Int)

    public var description: String {
        switch self {
        case .missing(let name): "tensor '\(name)' is missing"
        case .wrongSize(let name, let expected, let found): "tensor '\(name)' has \(found) values, \(expected) expected"
        }
    }
}
