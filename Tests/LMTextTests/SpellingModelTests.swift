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
        let words = ["the", "then", "than", "이다", "이", "12시", "🙂"]
        let model = SpellingModel(words: words)
        // Symbols the training words never use share one probability in every context
        // (checked on a sample): the sum over all 1,112,065 symbols is the seen ones'
        // plus that probability times the unseen ones' count.
        let seen = Set(words.flatMap { $0.unicodeScalars.map(\.value) } + [SpellingModel.endSymbol])
        let unseen: [UInt32] = [0, 0x41, 0xD7FF, 0xE000, 0x1F600, 0x10_FFFF]
        #expect(seen.isDisjoint(with: unseen))
        let histories: [(UInt32, UInt32)] = [
            (SpellingModel.beginSymbol, SpellingModel.beginSymbol),
            (SpellingModel.beginSymbol, Unicode.Scalar("t").value),
            (Unicode.Scalar("t").value, Unicode.Scalar("h").value),
            (Unicode.Scalar("h").value, Unicode.Scalar("x").value),  // only the bigram seen
            (Unicode.Scalar("q").value, Unicode.Scalar("q").value),  // nothing seen
        ]
        for (older, previous) in histories {
            let unseenProbability = model.probability(of: unseen[0], older: older, previous: previous)
            for symbol in unseen {
                #expect(model.probability(of: symbol, older: older, previous: previous) == unseenProbability)
            }
            let sum = seen.reduce(0.0) { $0 + model.probability(of: $1, older: older, previous: previous) }
                + (Self.every - Double(seen.count)) * unseenProbability
            #expect(abs(sum - 1) < 1e-12, "history \(older), \(previous)")
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
