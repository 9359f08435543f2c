import Testing

@testable import LMText

@Suite struct BatcherTests {
    @Test func splitsIntoParallelStreamsAsThePyTorchExample() throws {
        // 0...25 into 3 streams of 8 (24, 25 dropped): [0..7], [8..15], [16..23].
        let batcher = try Batcher(tokens: (0..<26).map(Int32.init), batchSize: 3, windowLength: 3)
        #expect(batcher.streamLength == 8)
        #expect(batcher.windowCount == 3)  // positions 0-2, 3-5, 6
        var window = Batcher.Window()
        batcher.fill(&window, index: 0)
        #expect(window.length == 3)
        #expect(window.inputs == [0, 8, 16, 1, 9, 17, 2, 10, 18])
        #expect(window.targets == [1, 9, 17, 2, 10, 18, 3, 11, 19])
        batcher.fill(&window, index: 2)
        #expect(window.length == 1)
        #expect(window.inputs == [6, 14, 22])
        #expect(window.targets == [7, 15, 23])
    }

    @Test func usesEveryTokenOnceAsInputAndOnceAsTargetInOrder() throws {
        let tokens = (0..<1000).map(Int32.init)
        for (batch, window) in [(1, 7), (4, 35), (20, 35), (7, 1)] {
            let batcher = try Batcher(tokens: tokens, batchSize: batch, windowLength: window)
            var inputs = Array(repeating: [Int32](), count: batch)
            var targets = Array(repeating: [Int32](), count: batch)
            var buffer = Batcher.Window()
            for index in 0..<batcher.windowCount {
                batcher.fill(&buffer, index: index)
                for t in 0..<buffer.length {
                    for b in 0..<batch {
                        inputs[b].append(buffer.inputs[t * batch + b])
                        targets[b].append(buffer.targets[t * batch + b])
                    }
                }
            }
            let length = batcher.streamLength
            for b in 0..<batch {
                let stream = Array(tokens[(b * length)..<((b + 1) * length)])
                #expect(inputs[b] == Array(stream.dropLast()))
                #expect(targets[b] == Array(stream.dropFirst()))
            }
            #expect(inputs.map(\.count).reduce(0, +) == batcher.tokensPerEpoch)
        }
    }

    @Test func rejectsACorpusShorterThanTwoTokensPerStream() {
        #expect(throws: CorpusTooShortError(tokens: 5, needed: 6)) {
            try Batcher(tokens: [1, 2, 3, 4, 5], batchSize: 3, windowLength: 2)
        }
    }
}
