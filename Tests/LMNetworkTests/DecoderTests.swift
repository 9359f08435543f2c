import LMTensor
import Testing

@testable import LMNetwork

/// The decoder's chunking is invisible: loss and gradients over 300 rows are the same in
/// one chunk and in three (128, 128, 44).
@Suite struct DecoderTests {
    @Test func chunkedLossAndGradientsEqualOneChunk() {
        let (rows, hidden, vocabulary) = (300, 5, 7)
        var generator = RandomGenerator(seed: 4)
        let input = (0..<(rows * hidden)).map { _ in generator.nextUniform(in: -1, 1) }
        let targets = (0..<rows).map { _ in Int32(generator.next() % UInt64(vocabulary)) }
        let weights = (0..<(vocabulary * hidden)).map { _ in generator.nextUniform(in: -1, 1) }

        func run(chunkElements: Int) -> (loss: Double, weight: [Float], bias: [Float], input: [Float]) {
            let decoder = Decoder(
                weight: Parameter(name: "decoder.weight", shape: [vocabulary, hidden]),
                bias: Parameter(name: "decoder.bias", shape: [vocabulary]))
            decoder.chunkElements = chunkElements
            decoder.weight.value.assign(weights)
            let hiddenGradient = Tensor(shape: [rows, hidden])
            let loss = input.withUnsafeBufferPointer {
                decoder.loss(hidden: $0.baseAddress!, targets: targets, hiddenGradient: hiddenGradient.pointer, gradientScale: 0.5)
            }
            return (loss, decoder.weight.gradient.values, decoder.bias.gradient.values, hiddenGradient.values)
        }

        let whole = run(chunkElements: 1 << 23)
        let chunked = run(chunkElements: 0)
        #expect(abs(whole.loss - chunked.loss) <= 1e-9 * abs(whole.loss))
        for (a, b) in zip(whole.weight + whole.bias + whole.input, chunked.weight + chunked.bias + chunked.input) {
            #expect(abs(a - b) <= 1e-5 * max(1, abs(a)))
        }
    }
}
