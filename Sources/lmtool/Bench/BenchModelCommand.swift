import ArgumentParser
import Foundation
import LMInference
import LMNetwork
import LMTensor
import LMTraining

/// `lmtool bench model`: training, evaluation and generation speed of a model on
/// synthetic token ids, as medians of repeated runs, with peak resident memory.
struct BenchModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Measure training, evaluation and generation tokens/s and peak memory of a model.",
        discussion: """
            The model is given by the same flags as 'lmtool train' plus --vocab; its inputs are \
            random token ids, uniform or, with --zipf, nearly Zipf's law (what the adaptive \
            softmax's speed depends on), so no corpus is needed. Training runs the full step \
            (forward, backward, clipping, SGD update) on --batch x --bptt windows; evaluation \
            runs forward and loss on --eval-batch streams; generation samples one token at a \
            time on batch 1; training then runs again in mixed precision (as 'lmtool train --bf16'), \
            and evaluation and generation on bfloat16 weights (as 'lmtool eval --bf16' and \
            'lmtool generate --bf16'). Each figure is the median of --repeats timed runs after \
            one warm-up run. Finally the losses of two training windows and one evaluation window \
            are computed twice from the same weights and data, with lmtool's own fast paths \
            (packed recurrent product, blocked matrix products, element-wise kernels at the \
            CPU's full vector width, threaded element-wise work, the embedding folded into the \
            first layer's input projection) and without them; they must \
            agree to 1e-4 relative, or the command fails.
            """)

    @OptionGroup(title: "Model") var model: ModelFlags

    @Option(parsing: .unconditional, help: "Vocabulary size (synthetic token ids).")
    var vocab = 10_000

    @Flag(
        help:
            "Draw the ids log-uniformly, p(id) = log((id + 2) / (id + 1)) / log(V + 1): nearly Zipf's law for ids by frequency, as a corpus has them, instead of uniformly.")
    var zipf = false

    @Option(parsing: .unconditional, help: "Parallel streams per training batch.")
    var batch = 20

    @Option(parsing: .unconditional, help: "Window length.")
    var bptt = 35

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Training: the batch's streams split into S shards, one thread each (as 'train --shards').", valueName: "S"))
    var shards = 1

    @Option(parsing: .unconditional, help: "Parallel streams for evaluation.")
    var evalBatch = 10

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Evaluation: the streams scored in S groups, one thread each (as 'eval --shards').", valueName: "S"))
    var evalShards = 1

    @Option(parsing: .unconditional, help: "Windows per timed training or evaluation run.")
    var windows = 10

    @Option(parsing: .unconditional, help: "Tokens per timed generation run.")
    var generateTokens = 200

    @Option(parsing: .unconditional, help: "Timed runs per figure; the median is reported.")
    var repeats = 5

    @OptionGroup var threads: ThreadsFlag

    @Option(
        name: [.customLong("random-seed"), .customLong("seed")], parsing: .unconditional,
        help: "Random seed (weights, synthetic ids, dropout, sampling); --seed is its older name.")
    var randomSeed = RandomSeed(1)

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    struct Report: Encodable {
        var configuration: ModelConfiguration
        var batch: Int
        var bptt: Int
        var evalBatch: Int
        /// Whether the synthetic ids were log-uniform (`--zipf`) rather than uniform.
        var zipf: Bool
        var trainTokensPerSecond: Double
        var evalTokensPerSecond: Double
        var generateTokensPerSecond: Double
        /// Training with products on bfloat16 copies (``LanguageModel/copyWeightsToBFloat16()``).
        var trainBFloat16TokensPerSecond: Double
        /// Evaluation and generation after ``LanguageModel/reduceWeightsToBFloat16()``.
        var evalBFloat16TokensPerSecond: Double
        var generateBFloat16TokensPerSecond: Double
        var peakResidentMegabytes: Double
        var blasCore: String
        var blasReason: String
        var threads: Int
        /// Largest relative difference between the losses with and without the fast paths.
        var lossRelativeDifference: Double

        enum CodingKeys: String, CodingKey {
            case configuration = "model", batch, bptt
            case evalBatch = "eval_batch"
            case zipf = "zipf_ids"
            case trainTokensPerSecond = "train_tokens_per_s"
            case evalTokensPerSecond = "eval_tokens_per_s"
            case generateTokensPerSecond = "generate_tokens_per_s"
            case trainBFloat16TokensPerSecond = "train_bf16_tokens_per_s"
            case evalBFloat16TokensPerSecond = "eval_bf16_tokens_per_s"
            case generateBFloat16TokensPerSecond = "generate_bf16_tokens_per_s"
            case peakResidentMegabytes = "peak_rss_mb"
            case blasCore = "blas_core"
            case blasReason = "blas_reason"
            case threads
            case lossRelativeDifference = "loss_relative_difference"
        }
    }

    mutating func validate() throws {
        try randomSeed.check()
        if vocab < 2 { throw CommandError.flag("--vocab", "must be at least 2") }
        for (name, value) in [
            ("--batch", batch), ("--shards", shards), ("--bptt", bptt), ("--eval-batch", evalBatch),
            ("--eval-shards", evalShards), ("--windows", windows),
            ("--generate-tokens", generateTokens), ("--repeats", repeats),
        ] where value < 1 {
            throw CommandError.flag(name, "must be at least 1")
        }
        if batch % shards != 0 { throw CommandError.flag("--shards", "must divide --batch \(batch)") }
    }

    func run() throws {
        try reportingErrors {
            threads.apply()
            let configuration = model.configuration(vocabularySize: vocab)
            var generator = RandomGenerator(seed: randomSeed.value)
            let network = try LanguageModel(configuration: configuration, generator: &generator)
            let windowShards = WindowShards(model: network, streams: BatchShard(wholeBatchOf: batch), count: shards)
            var report = Report(
                configuration: configuration, batch: batch, bptt: bptt, evalBatch: evalBatch, zipf: zipf,
                trainTokensPerSecond: measure(tokens: windows * bptt * batch) { trainingRun(windowShards, &generator) },
                evalTokensPerSecond: measure(tokens: windows * bptt * evalBatch) { evaluationRun(network, &generator) },
                generateTokensPerSecond: measure(tokens: generateTokens) { generationRun(network, &generator) },
                trainBFloat16TokensPerSecond: 0, evalBFloat16TokensPerSecond: 0, generateBFloat16TokensPerSecond: 0,
                peakResidentMegabytes: ProcessMemory.peakResidentMegabytes, blasCore: BLASKernel.current,
                blasReason: BLASKernel.reason.rawValue, threads: ComputeThreads.count, lossRelativeDifference: 0)
            // After the peak memory is read: the check's models and the bfloat16 copies must not count.
            report.lossRelativeDifference = try lossDifference(configuration)
            report.trainBFloat16TokensPerSecond = measure(tokens: windows * bptt * batch) {
                trainingRun(windowShards, &generator, bfloat16Products: true)
            }
            network.reduceWeightsToBFloat16()
            report.evalBFloat16TokensPerSecond = measure(tokens: windows * bptt * evalBatch) {
                evaluationRun(network, &generator)
            }
            report.generateBFloat16TokensPerSecond = measure(tokens: generateTokens) { generationRun(network, &generator) }
            if json {
                print(try JSONOutput.string(report))
            } else {
                print(
                    "\(configuration.cell.rawValue) \(configuration.layers)x\(configuration.hiddenSize), embedding \(configuration.embeddingSize), V=\(vocab)\(zipf ? " (Zipf ids)" : ""); batch \(batch), bptt \(bptt), eval batch \(evalBatch); BLAS \(report.blasCore) (\(report.blasReason)), \(report.threads) threads"
                )
                print(String(format: "train     %10.0f tokens/s", report.trainTokensPerSecond))
                print(String(format: "eval      %10.0f tokens/s", report.evalTokensPerSecond))
                print(String(format: "generate  %10.0f tokens/s", report.generateTokensPerSecond))
                print(String(format: "train     %10.0f tokens/s with products in bfloat16 (--bf16)", report.trainBFloat16TokensPerSecond))
                print(String(format: "eval      %10.0f tokens/s in bfloat16 (--bf16)", report.evalBFloat16TokensPerSecond))
                print(String(format: "generate  %10.0f tokens/s in bfloat16 (--bf16)", report.generateBFloat16TokensPerSecond))
                print(String(format: "peak RSS  %10.0f MB", report.peakResidentMegabytes))
                print(String(format: "loss with and without lmtool's fast paths: %.1e relative difference", report.lossRelativeDifference))
            }
            if !(report.lossRelativeDifference <= Self.lossTolerance) {
                throw CommandError(
                    description: String(
                        format: "the fast paths' losses differ from the straightforward ones by %.1e (relative), more than %.0e",
                        report.lossRelativeDifference, Self.lossTolerance))
            }
        }
    }

    static let lossTolerance = 1e-4

    /// The largest relative difference between the losses of two training windows (forward,
    /// backward, clipping, SGD) and one evaluation window computed with
    /// ``OptimisedPaths`` on and off, from the same weights, data and dropout masks.
    private func lossDifference(_ configuration: ModelConfiguration) throws -> Double {
        func losses() throws -> [Double] {
            var generator = RandomGenerator(seed: randomSeed.value)
            let network = try LanguageModel(configuration: configuration, generator: &generator)
            var state = RecurrentState(zerosFor: configuration, batchSize: batch)
            var optimizer = StochasticGradientDescent()
            var losses: [Double] = []
            for _ in 0..<2 {
                let (inputs, targets) = (randomIDs(bptt * batch, &generator), randomIDs(bptt * batch, &generator))
                network.zeroGradients()
                losses.append(
                    network.trainWindow(
                        inputs: inputs, targets: targets, windowLength: bptt, batchSize: batch, state: &state,
                        generator: &generator))
                let clipping = clippingFactor(norm: gradientNorm(network.parameters), maxNorm: 0.25)
                optimizer.step(network.parameters, learningRate: 1, gradientScale: clipping)
            }
            var evaluationState = RecurrentState(zerosFor: configuration, batchSize: evalBatch)
            let (inputs, targets) = (randomIDs(bptt * evalBatch, &generator), randomIDs(bptt * evalBatch, &generator))
            losses.append(
                network.evaluateWindow(
                    inputs: inputs, targets: targets, windowLength: bptt, batchSize: evalBatch, state: &evaluationState))
            return losses
        }
        let optimised = try losses()
        OptimisedPaths.enabled = false
        defer { OptimisedPaths.enabled = true }
        let straightforward = try losses()
        return zip(optimised, straightforward).map { abs($0 - $1) / max(abs($1), 1e-12) }.max() ?? 0
    }

    /// Median tokens per second of `body` over one warm-up and `repeats` timed runs.
    private func measure(tokens: Int, _ body: () -> Void) -> Double {
        body()
        var rates: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            rates.append(Double(tokens) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        }
        return BenchCommand.median(rates)
    }

    private func randomIDs(_ count: Int, _ generator: inout RandomGenerator) -> [Int32] {
        guard zipf else { return (0..<count).map { _ in Int32(truncatingIfNeeded: generator.next() % UInt64(vocab)) } }
        // ⌊(V + 1)^u⌋ − 1 for u uniform in [0, 1): the log-uniform distribution.
        let logSize = log(Double(vocab + 1))
        return (0..<count).map { _ in
            let uniform = Double(generator.next() >> 11) * 0x1p-53
            return Int32(min(vocab - 1, max(0, Int(exp(uniform * logSize)) - 1)))
        }
    }

    /// `windows` training steps as `lmtool train` runs them: forward and backward with
    /// dropout, clipping to 0.25, plain SGD; with `bfloat16Products`, as `lmtool train
    /// --bf16` runs them (the bfloat16 copies remade before every window).
    private func trainingRun(
        _ shards: WindowShards, _ generator: inout RandomGenerator, bfloat16Products: Bool = false
    ) {
        let network = shards.model
        let state = RecurrentState(zerosFor: network.configuration, batchSize: batch)
        var optimizer = StochasticGradientDescent()
        let meanScale = 1 / Float(shards.count)  // the shards' gradients add up
        for _ in 0..<windows {
            let inputs = randomIDs(bptt * batch, &generator)
            let targets = randomIDs(bptt * batch, &generator)
            network.zeroGradients()
            if bfloat16Products { network.copyWeightsToBFloat16() }
            _ = shards.trainWindow(
                inputs: inputs, targets: targets, windowLength: bptt, state: state, generator: &generator)
            let clipping = clippingFactor(norm: gradientNorm(network.parameters, scale: meanScale), maxNorm: 0.25)
            optimizer.step(network.parameters, learningRate: 1, gradientScale: meanScale * clipping)
        }
    }

    /// Scores `windows` windows of each of the `--eval-batch` streams of a random text.
    private func evaluationRun(_ network: LanguageModel, _ generator: inout RandomGenerator) {
        let tokens = randomIDs(evalBatch * (windows * bptt + 1), &generator)
        _ = Evaluator(model: network, batchSize: evalBatch, windowLength: bptt, shards: evalShards).evaluate(tokens)
    }

    private func generationRun(_ network: LanguageModel, _ generator: inout RandomGenerator) {
        let writer = TextGenerator(model: network)
        writer.prime(with: [], endOfLine: 1)
        writer.generate(maxTokens: generateTokens, sampler: TemperatureSampler(), generator: &generator) { _, _ in true }
    }
}
