import LMTensor
import Testing

@testable import LMNetwork

import Foundation

/// The decoder's chunking is invisible: loss and gradients over 300 rows are the same in
/// one chunk and in three (128, 128, 44); and evaluation's loss by vocabulary blocks is the
/// loss of the whole rows.
@Suite struct DecoderTests {
    @Test func chunkedLossAndGradientsEqualOneChunk() {
        let (rows, hidden, vocabulary) = (300, 5, 7)
        var generator = RandomGenerator(seed: 4)
        let input = (0..<(rows * hidden)).map { _ in generator.nextUniform(in: -1, 1) }
        let targets = (0..<rows).map { _ in Int32(generator.next() % UInt64(vocabulary)) }
        let weights = (0..<(vocabulary * hidden)).map { _ in generator.nextUniform(in: -1, 1) }

        func run(chunkElements: Int) -> (loss: Double, weight: [Float], bias: [Float], input: [Float]) {
            let bias = Parameter(name: "decoder.bias", shape: [vocabulary])
            let decoder = Decoder(weight: Parameter(name: "decoder.weight", shape: [vocabulary, hidden]), bias: bias)
            decoder.chunkElements = chunkElements
            decoder.weight.value.assign(weights)
            let hiddenGradient = Tensor(shape: [rows, hidden])
            let loss = input.withUnsafeBufferPointer {
                decoder.loss(hidden: $0.baseAddress!, targets: targets, hiddenGradient: hiddenGradient.pointer, gradientScale: 0.5)
            }
            return (loss, decoder.weight.gradient.values, bias.gradient.values, hiddenGradient.values)
        }

        let whole = run(chunkElements: 1 << 23)
        let chunked = run(chunkElements: 0)
        #expect(abs(whole.loss - chunked.loss) <= 1e-9 * abs(whole.loss))
        for (a, b) in zip(whole.weight + whole.bias + whole.input, chunked.weight + chunked.bias + chunked.input) {
            #expect(abs(a - b) <= 1e-5 * max(1, abs(a)))
        }
    }

    /// The evaluation loss (no gradient: the logits transposed block by block, the weight
    /// read in place, a log-sum-exp down each column, the blocks combined) against a
    /// Float64 reference and against the loss the training path computes over whole rows,
    /// for blocks that divide the vocabulary unevenly, shorter than a strip of the
    /// kernel's rows, and one block holding it all. 300 rows (ten tiles of 32 columns: two
    /// groups), V = 1001, H = 37: large enough for the blocks to be split between threads,
    /// or, when there is a single block, the rows (tiles of columns).
    @Test(arguments: [5, 64, 2048])
    func evaluationLossByVocabularyBlocksIsTheWholeRowsLoss(blockRows: Int) {
        let (rows, hidden, vocabulary) = (300, 37, 1001)
        var generator = RandomGenerator(seed: 9)
        let input = (0..<(rows * hidden)).map { _ in generator.nextUniform(in: -1, 1) }
        let targets = (0..<rows).map { _ in Int32(generator.next() % UInt64(vocabulary)) }
        let biasParameter = Parameter(name: "decoder.bias", shape: [vocabulary])
        let decoder = Decoder(weight: Parameter(name: "decoder.weight", shape: [vocabulary, hidden]), bias: biasParameter)
        decoder.evaluationBlockRows = blockRows
        decoder.weight.value.assign((0..<(vocabulary * hidden)).map { _ in generator.nextUniform(in: -1, 1) })
        biasParameter.value.assign((0..<vocabulary).map { _ in generator.nextUniform(in: -2, 2) })

        var expected = 0.0
        let weight = decoder.weight.value.values
        let bias = biasParameter.value.values
        for row in 0..<rows {
            let logits = (0..<vocabulary).map { column in
                (0..<hidden).reduce(Double(bias[column])) {
                    $0 + Double(input[row * hidden + $1]) * Double(weight[column * hidden + $1])
                }
            }
            let maximum = logits.max()!
            expected += maximum + log(logits.reduce(0) { $0 + exp($1 - maximum) }) - logits[Int(targets[row])]
        }
        let hiddenGradient = Tensor(shape: [rows, hidden])
        let (evaluation, training) = input.withUnsafeBufferPointer {
            (
                decoder.loss(hidden: $0.baseAddress!, targets: targets, hiddenGradient: nil),
                decoder.loss(hidden: $0.baseAddress!, targets: targets, hiddenGradient: hiddenGradient.pointer)
            )
        }
        #expect(abs(evaluation - expected) <= 1e-6 * expected)
        #expect(abs(evaluation - training) <= 1e-6 * expected)
    }
}
