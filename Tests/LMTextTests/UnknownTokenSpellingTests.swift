import Testing

@testable import LMText

/// The one spelling rule of bits per character: a word outside the vocabulary costs its
/// spelling, a literal `<unk>` nothing.
@Suite struct UnknownTokenSpellingTests {
    static let vocabulary = Vocabulary(counts: ["<eos>": 3, "walking": 2, "talked": 1])

    @Test func anUnknownWordCostsItsSpelling() {
        var spelling = UnknownTokenSpelling(vocabulary: Self.vocabulary)
        let expected = SpellingModel(vocabulary: Self.vocabulary).bits(of: "stalking")
        #expect(spelling.bits(of: "stalking") == expected)
        #expect(spelling.bits(of: "stalking") == expected)  // the same again, from the model made once
    }

    @Test func aLiteralUnknownTokenIsTheTextsOwnAndCostsNothing() {
        var spelling = UnknownTokenSpelling(vocabulary: Self.vocabulary)
        #expect(spelling.bits(of: SpecialToken.unknown) == 0)
        #expect(spelling.bits(of: "<unk") > 0)
    }
}
