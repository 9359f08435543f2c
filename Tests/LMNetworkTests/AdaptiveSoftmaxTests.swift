import Foundation
import LMTensor
import Testing
import TestSupport

@testable import LMNetwork

/// The adaptive softmax alone: its gradients (every weight and the hidden states) against
/// central differences, its distribution summing to 1 over the vocabulary, its loss equal
/// to the log-probabilities it gives, chunking invisible; and the configurations it refuses.
@Suite struct AdaptiveSoftmaxTests {
    /// H = 16, V = 23, cutoffs 5 and 12: a head of 5 tokens + 2 clusters, tails of 7 and
    /// 11 tokens projected to 4 and 1 units.
    static func small(generator: inout RandomGenerator) -> AdaptiveSoftmax {
        let layer = AdaptiveSoftmax(inputSize: 16, vocabularySize: 23, cutoffs: [5, 12], tailWidths: [4, 1])
        for parameter in layer.parameters { parameter.initializeUniform(-0.5, 0.5, generator: &generator) }
        return layer
    }

    /// `count` ids cycling through the head and both clusters, then random.
    static func targets(_ count: Int, vocabularySize: Int, generator: inout RandomGenerator) -> [Int32] {
        (0..<count).map { row in
            row < 3 ? [1, 7, 20][row] : Int32(generator.next() % UInt64(vocabularySize))
        }
    }

    @Test func namesAndShapesAreThoseOfPyTorch() {
        let layer = AdaptiveSoftmax(inputSize: 16, vocabularySize: 23, cutoffs: [5, 12], tailWidths: [4, 1])
        #expect(layer.parameters.map(\.name) == [
            "decoder.head.weight", "decoder.tail.0.0.weight", "decoder.tail.0.1.weight", "decoder.tail.1.0.weight",
            "decoder.tail.1.1.weight",
        ])
        #expect(layer.parameters.map(\.shape) == [[7, 16], [4, 16], [7, 4], [1, 16], [11, 1]])
    }

    /// Mean loss over 24 rows; tolerance |analytic − numeric| ≤ 1e-2·|numeric| + 2e-5 with
    /// h = 1e-2, as ``LanguageModelGradientTests`` (the loss ≈ 3 is rounded to ≈ 3e-7).
    @Test func everyGradientMatchesFiniteDifferences() {
        var generator = RandomGenerator(seed: 7)
        let layer = Self.small(generator: &generator)
        let rows = 24
        let hidden = Tensor(shape: [rows, 16])
        for index in 0..<hidden.count { hidden[index] = generator.nextUniform(in: -1, 1) }
        let targets = Self.targets(rows, vocabularySize: 23, generator: &generator)
        func loss() -> Double { layer.loss(hidden: hidden.pointer, targets: targets, hiddenGradient: nil) / Double(rows) }

        for parameter in layer.parameters { parameter.zeroGradient() }
        let hiddenGradient = Tensor(shape: [rows, 16])
        let trained = layer.loss(
            hidden: hidden.pointer, targets: targets, hiddenGradient: hiddenGradient.pointer, gradientScale: 1 / Float(rows))
        #expect(abs(trained / Double(rows) - loss()) <= 1e-6 * loss())
        var mismatches: [GradientCheck.Mismatch] = []
        for parameter in layer.parameters {
            mismatches += GradientCheck.compare(
                name: parameter.name, value: parameter.value, gradient: parameter.gradientValues, absolute: 2e-5,
                samples: 200, loss: loss)
        }
        mismatches += GradientCheck.compare(
            name: "hidden", value: hidden, gradient: hiddenGradient.values, absolute: 2e-5, samples: 400, loss: loss)
        #expect(mismatches.isEmpty, "\(mismatches.prefix(6))")
    }

    /// Log-probabilities of V = 1001 tokens in three clusters: `exp` of each row sums to 1
    /// within Float32 rounding (1e-5 over 1001 terms); the loss, with and without a
    /// gradient, is `−Σ log p(target)` of those rows (1e-6 relative).
    @Test func theDistributionSumsToOneAndGivesTheLoss() {
        var generator = RandomGenerator(seed: 11)
        let (rows, width, vocabulary) = (40, 64, 1001)
        let layer = AdaptiveSoftmax(
            inputSize: width, vocabularySize: vocabulary, cutoffs: [50, 300, 700], tailWidths: [16, 4, 1])
        for parameter in layer.parameters { parameter.initializeUniform(-0.3, 0.3, generator: &generator) }
        let hidden = (0..<(rows * width)).map { _ in generator.nextUniform(in: -1, 1) }
        let targets = Self.targets(rows, vocabularySize: vocabulary, generator: &generator)
        let logProbabilities = Tensor(shape: [rows, vocabulary])
        let hiddenGradient = Tensor(shape: [rows, width])
        let (evaluation, training) = hidden.withUnsafeBufferPointer {
            layer.logits($0.baseAddress!, rows: rows, into: logProbabilities.pointer)
            return (
                layer.loss(hidden: $0.baseAddress!, targets: targets, hiddenGradient: nil),
                layer.loss(hidden: $0.baseAddress!, targets: targets, hiddenGradient: hiddenGradient.pointer)
            )
        }
        let values = logProbabilities.values
        var expected = 0.0
        for row in 0..<rows {
            let probabilities = values[(row * vocabulary)..<((row + 1) * vocabulary)].map { exp(Double($0)) }
            let total = probabilities.reduce(0, +)
            #expect(abs(total - 1) <= 1e-5, "row \(row) sums to \(total)")
            expected -= Double(values[row * vocabulary + Int(targets[row])])
        }
        #expect(abs(evaluation - expected) <= 1e-6 * expected)
        #expect(abs(training - evaluation) <= 1e-6 * expected)
    }

    /// 150 rows in chunks of 64, 64 and 22 (the head), and the larger cluster's rows (about
    /// half of them) in chunks of 64, give the loss and gradients of one chunk.
    @Test func chunkedLossAndGradientsEqualOneChunk() {
        let rows = 150
        var generator = RandomGenerator(seed: 3)
        let hidden = (0..<(rows * 16)).map { _ in generator.nextUniform(in: -1, 1) }
        let targets = Self.targets(rows, vocabularySize: 23, generator: &generator)
        func run(chunkElements: Int) -> (loss: Double, gradients: [Float]) {
            var weights = RandomGenerator(seed: 5)
            let layer = Self.small(generator: &weights)
            layer.chunkElements = chunkElements
            for parameter in layer.parameters { parameter.zeroGradient() }
            let hiddenGradient = Tensor(shape: [rows, 16])
            let loss = hidden.withUnsafeBufferPointer {
                layer.loss(hidden: $0.baseAddress!, targets: targets, hiddenGradient: hiddenGradient.pointer, gradientScale: 0.5)
            }
            return (loss, layer.parameters.flatMap(\.gradientValues) + hiddenGradient.values)
        }
        let (whole, chunked) = (run(chunkElements: 1 << 23), run(chunkElements: 0))
        #expect(abs(whole.loss - chunked.loss) <= 1e-9 * abs(whole.loss))
        #expect(zip(whole.gradients, chunked.gradients).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
    }

    @Test func configurationsItCannotServeAreRefused() {
        func adaptive(_ cutoffs: [Int], hidden: Int = 16, tied: Bool = false) -> ModelConfiguration {
            var configuration = ModelConfiguration(
                vocabularySize: 23, embeddingSize: hidden, hiddenSize: hidden, tieWeights: tied)
            (configuration.softmax, configuration.cutoffs) = (.adaptive, cutoffs)
            return configuration
        }
        #expect(throws: Never.self) { try adaptive([5, 12]).validate() }
        #expect(throws: Never.self) { try adaptive([22]).validate() }
        for cutoffs in [[], [0, 5], [5, 5], [12, 5], [5, 23]] {
            #expect(throws: ConfigurationError.self, "\(cutoffs)") { try adaptive(cutoffs).validate() }
        }
        #expect(
            throws: ConfigurationError.incompatible(
                "adaptive softmax cutoffs 5,23 (--cutoffs) must be increasing, at least 1 and below the vocabulary size, 23")
        ) { try adaptive([5, 23]).validate() }
        // 16 units allow two clusters (4, 1), not three.
        #expect(throws: ConfigurationError.self) { try adaptive([5, 10, 15]).validate() }
        #expect(throws: ConfigurationError.self) { try adaptive([5], tied: true).validate() }
        var full = ModelConfiguration(vocabularySize: 23)
        full.cutoffs = [5]
        #expect(throws: ConfigurationError.incompatible("cutoffs need the adaptive softmax")) { try full.validate() }
    }

    /// A config.json from before the adaptive softmax loads as the full softmax, and an
    /// adaptive one keeps its cutoffs.
    @Test func configurationsRecordTheSoftmax() throws {
        let old = """
            {"vocabularySize": 9, "embeddingSize": 5, "hiddenSize": 6, "layers": 2, "cell": "lstm",
             "peephole": false, "dropout": 0.3, "variationalDropout": false, "tieWeights": false}
            """
        let configuration = try JSONDecoder().decode(ModelConfiguration.self, from: Data(old.utf8))
        #expect(configuration.softmax == .full && configuration.cutoffs.isEmpty)
        var adaptive = ModelConfiguration(vocabularySize: 30, hiddenSize: 200)
        (adaptive.softmax, adaptive.cutoffs) = (.adaptive, [5, 12])
        #expect(adaptive.tailWidths == [50, 12])
        #expect(try JSONDecoder().decode(ModelConfiguration.self, from: JSONEncoder().encode(adaptive)) == adaptive)
    }
}
