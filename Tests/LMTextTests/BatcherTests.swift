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

    @Test func idsInPlaceGiveTheArraysWindows() throws {
        let tokens = (0..<3000).map { Int32($0 % 97) }
        let fromArray = try Batcher(tokens: tokens, batchSize: 5, windowLength: 7)
        let inPlace = try Batcher(tokens: TokenIDs(tokens), batchSize: 5, windowLength: 7)
        #expect(inPlace.windowCount == fromArray.windowCount)
        var a = Batcher.Window(), b = Batcher.Window()
        for index in 0..<fromArray.windowCount {
            fromArray.fill(&a, index: index)
            inPlace.fill(&b, index: index)
            #expect(a.inputs == b.inputs && a.targets == b.targets)
        }
    }

    @Test func rejectsACorpusShorterThanTwoTokensPerStream() {
        #expect(throws: CorpusTooShortError(tokens: 5, needed: 6)) {
            try Batcher(tokens: [1, 2, 3, 4, 5], batchSize: 3, windowLength: 2)
        }
    }

    /// Variable-length windows still serve every input position once per epoch, in order;
    /// their lengths center on T (and T/2 now and then), and one seed gives one layout.
    @Test func drawnWindowsCoverTheEpochOnceAroundTheirMeanLength() throws {
        let tokens = (0..<40_001).map { Int32($0 % 97) }
        var batcher = try Batcher(tokens: tokens, batchSize: 4, windowLength: 35)
        var seeded = SplitMix(seed: 7)
        batcher.drawWindowLengths(generator: &seeded)
        var window = Batcher.Window()
        var next = 0
        var lengths: [Int] = []
        for index in 0..<batcher.windowCount {
            batcher.fill(&window, index: index)
            // Stream 0 is tokens[0 ..< streamLength]: its inputs are the positions themselves.
            #expect(Int(window.inputs[0]) == next % 97)
            next += window.length
            lengths.append(window.length)
            #expect(batcher.lengthRatio(ofWindow: index) == Float(window.length) / 35)
        }
        #expect(next == batcher.streamLength - 1)
        #expect(lengths.dropLast().allSatisfy { $0 >= 5 })
        let mean = Double(lengths.dropLast().reduce(0, +)) / Double(lengths.count - 1)
        #expect(abs(mean - (0.95 * 35 + 0.05 * 17.5)) < 1.5, "mean window length \(mean)")
        #expect(lengths.contains { $0 < 25 } && lengths.contains { $0 > 38 })
        var again = try Batcher(tokens: tokens, batchSize: 4, windowLength: 35)
        var sameSeed = SplitMix(seed: 7)
        again.drawWindowLengths(generator: &sameSeed)
        #expect(again.windowCount == batcher.windowCount)
        #expect((0..<again.windowCount).allSatisfy { again.lengthRatio(ofWindow: $0) == batcher.lengthRatio(ofWindow: $0) })
    }
}

/// SplitMix64, a seeded generator for the test.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
