import Testing

@testable import LMText

/// `--unk-alpha`: how often each word reads as `<unk>`, and that a window reads one text.
@Suite struct UnknownWordSubstitutionTests {
    /// Ids 2, 3, 4 seen 1, 9 and 99 times: read as `<unk>` with probability 1/2, 1/10, 1/100
    /// at α = 1; `<unk>` and `<eos>` never change.
    @Test func aWordSeenCTimesReadsAsUnknownWithProbabilityAlphaOverAlphaPlusC() {
        let substitution = UnknownWordSubstitution(alpha: 1, counts: [0, 0, 1, 9, 99], seed: 5).forEpoch(1)
        let draws = 200_000
        for (id, expected) in [(2, 0.5), (3, 0.1), (4, 0.01)] {
            let replaced = (0..<draws).filter { substitution.token(Int32(id), at: $0) == Vocabulary.unknownID }.count
            let deviation = (expected * (1 - expected) / Double(draws)).squareRoot()
            #expect(abs(Double(replaced) / Double(draws) - expected) < 4 * deviation, "id \(id): \(replaced) of \(draws)")
        }
        #expect((0..<draws).allSatisfy { substitution.token(Vocabulary.endOfLineID, at: $0) == Vocabulary.endOfLineID })
        #expect((0..<draws).allSatisfy { substitution.token(Vocabulary.unknownID, at: $0) == Vocabulary.unknownID })
    }

    @Test func theKeyAndThePositionAloneDecide() {
        let substitution = UnknownWordSubstitution(alpha: 1, counts: [0, 0, 1], seed: 5)
        let first = (0..<1000).map { substitution.forEpoch(1).token(2, at: $0) }
        #expect(first == (0..<1000).map { substitution.forEpoch(1).token(2, at: $0) })
        #expect(first != (0..<1000).map { substitution.forEpoch(2).token(2, at: $0) }, "another epoch, other occurrences")
        #expect(first != (0..<1000).map { UnknownWordSubstitution(alpha: 1, counts: [0, 0, 1], seed: 6).forEpoch(1).token(2, at: $0) })
    }

    /// A token reads the same as one window's target and as the next input, and so across
    /// windows; the tokens not replaced are the text's.
    @Test func aBatchersWindowsReadOneSubstitutedText() throws {
        let tokens = (0..<400).map { Int32(2 + $0 % 5) }
        let batcher = try Batcher(tokens: tokens, batchSize: 4, windowLength: 7)
        let substitution = UnknownWordSubstitution(alpha: 30, counts: [0, 0, 80, 80, 80, 80, 80], seed: 1).forEpoch(3)
        var replaced = 0
        var window = Batcher.Window()
        var plain = Batcher.Window()
        var previous: Batcher.Window?
        for index in 0..<batcher.windowCount {
            batcher.fill(&window, index: index, substitution: substitution)
            batcher.fill(&plain, index: index)
            let (T, B) = (window.length, batcher.batchSize)
            for t in 0..<T {
                for b in 0..<B {
                    let (input, target) = (window.inputs[t * B + b], window.targets[t * B + b])
                    #expect(input == plain.inputs[t * B + b] || input == Vocabulary.unknownID)
                    #expect(target == plain.targets[t * B + b] || target == Vocabulary.unknownID)
                    if t + 1 < T { #expect(target == window.inputs[(t + 1) * B + b]) }
                    if input == Vocabulary.unknownID { replaced += 1 }
                }
            }
            if let previous {
                for b in 0..<B { #expect(previous.targets[(previous.length - 1) * B + b] == window.inputs[b]) }
            }
            previous = window
        }
        // α / (α + c) = 30 / 110 of the inputs.
        let share = Double(replaced) / Double(batcher.tokensPerEpoch)
        #expect(abs(share - 30.0 / 110) < 0.06, "\(share)")
    }
}
