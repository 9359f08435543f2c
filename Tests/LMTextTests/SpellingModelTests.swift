import Foundation
import Testing

@testable import LMText

/// The spelling model that charges unknown words for their characters.
@Suite struct SpellingModelTests {
    static let every = Double(0x11_0000 - 0x800 + 1)

    @Test func oneWordIsScoredByTheWittenBellFormulaWrittenOut() {
        // Trained on "ab": each context has seen one continuation once.
        let model = SpellingModel(words: ["ab", "ab"])
        let uniform = 1 / Self.every
        // The unigram has seen a, b and the end once each: 3 tokens of 3 types.
        func unigram(_ count: Double) -> Double { (count + 3 * uniform) / 6 }
        // Every seen context has one token of one type.
        func seen(_ count: Double, _ lower: Double) -> Double { (count + lower) / 2 }
        let a = seen(1, seen(1, unigram(1)))  // after (begin, begin), after begin
        let b = seen(1, seen(1, unigram(1)))  // after (begin, a), after a
        let end = seen(1, seen(1, unigram(1)))  // after (a, b), after b
        #expect(abs(model.bits(of: "ab") - -log2(a * b * end)) < 1e-12)
        // "ba": b never began a word, and neither (begin, b) nor (b, a) was seen, so their
        // bigram contexts speak: b was followed only by the end, a only by b.
        let bFirst = seen(0, seen(0, unigram(1)))
        let aAfterB = seen(0, unigram(1))
        let endAfterA = seen(0, unigram(1))
        #expect(abs(model.bits(of: "ba") - -log2(bFirst * aAfterB * endAfterA)) < 1e-12)
    }

    @Test func everyContextsDistributionSumsToOne() {
        let model = SpellingModel(words: ["the", "then", "than", "이다", "이", "12시", "🙂"])
        let symbols = (0..<UInt32(0x11_0000)).filter { !(0xD800...0xDFFF).contains($0) } + [SpellingModel.endSymbol]
        #expect(Double(symbols.count) == Self.every)
        let histories: [(UInt32, UInt32)] = [
            (SpellingModel.beginSymbol, SpellingModel.beginSymbol),
            (SpellingModel.beginSymbol, Unicode.Scalar("t").value),
            (Unicode.Scalar("t").value, Unicode.Scalar("h").value),
            (Unicode.Scalar("h").value, Unicode.Scalar("x").value),  // only the bigram seen
            (Unicode.Scalar("q").value, Unicode.Scalar("q").value),  // nothing seen
        ]
        for (older, previous) in histories {
            var sum = 0.0
            for symbol in symbols { sum += model.probability(of: symbol, older: older, previous: previous) }
            #expect(abs(sum - 1) < 1e-9, "history \(older), \(previous)")
        }
    }

    @Test func seenSpellingsCostLessThanUnseenOnes() {
        let model = SpellingModel(words: ["walking", "talking", "walked", "talked", "walks"])
        #expect(model.bits(of: "stalking") < model.bits(of: "xqzvjwk"))
        // An unseen character costs at least its share of the uniform distribution's 20.1 bits.
        #expect(model.bits(of: "ж") > log2(Self.every))
        #expect(model.bits(of: "") > 0)
    }

    @Test func anEmptyVocabularySpellsUniformly() {
        let model = SpellingModel(vocabulary: Vocabulary(counts: ["<eos>": 3]))
        #expect(abs(model.bits(of: "가나") - 3 * log2(Self.every)) < 1e-9)
    }

    @Test func theSpecialTokensAreNotTrainedOn() {
        let withSpecials = SpellingModel(vocabulary: Vocabulary(counts: ["<eos>": 3, "<unk>": 2, "cat": 1]))
        let without = SpellingModel(words: ["cat"])
        #expect(withSpecials.bits(of: "<unk>") == without.bits(of: "<unk>"))
    }
}
