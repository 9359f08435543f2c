import Foundation

/// What a word model's unknown tokens cost to spell, so that its bits per character
/// count every character of the text, as char and subword models' do.
///
/// A word model predicts `<unk>` where the text has a word outside its vocabulary; the
/// word itself is never paid for. Together with this model it becomes an open-vocabulary
/// model: an unknown word `w` gets `p(<unk> | context) · p_spell(w)`, and bits per
/// character add `−log₂ p_spell(w)` for each one.
///
/// `p_spell` is a character trigram model trained on the vocabulary's tokens, each type
/// once (new words resemble the vocabulary's types, not its running text), with an
/// end-of-word symbol and interpolated Witten–Bell smoothing (Chen & Goodman 1998,
/// section 2.5). Below its unigram lies the uniform distribution over every Unicode
/// scalar value and the end symbol, so every string has a probability and the
/// probabilities of all strings sum to at most 1: the figure stays a true code length.
public struct SpellingModel: Sendable {
    /// One context's continuations: how often each symbol followed it.
    struct Continuations: Sendable {
        var counts: [UInt32: Int] = [:]
        var total = 0

        mutating func add(_ symbol: UInt32) {
            counts[symbol, default: 0] += 1
            total += 1
        }

        /// Witten–Bell: the context's own estimate, interpolated with `lower` by the
        /// weight of the context's distinct continuations; `lower` alone for a context
        /// never seen.
        func probability(of symbol: UInt32, lower: Double) -> Double {
            guard total > 0 else { return lower }
            let distinct = Double(counts.count)
            return (Double(counts[symbol] ?? 0) + distinct * lower) / (Double(total) + distinct)
        }
    }

    /// Before a word's first character (a history symbol only, never predicted).
    static let beginSymbol: UInt32 = 0x11_0000
    /// After a word's last character.
    static let endSymbol: UInt32 = 0x11_0001
    /// Symbols the uniform base distribution covers: the 1,112,064 Unicode scalar values
    /// (surrogate code points are not scalars) and the end symbol.
    static let symbolCount = Double(0x11_0000 - 0x800 + 1)

    private var unigram = Continuations()
    private var bigram: [UInt32: Continuations] = [:]
    private var trigram: [UInt64: Continuations] = [:]

    /// Trains on `words`, each counted once however often it repeats.
    public init<Words: Sequence<String>>(words: Words) {
        for word in Set(words) {
            var (older, previous) = (Self.beginSymbol, Self.beginSymbol)
            for symbol in word.unicodeScalars.map(\.value) + [Self.endSymbol] {
                unigram.add(symbol)
                bigram[previous, default: Continuations()].add(symbol)
                trigram[Self.key(older, previous), default: Continuations()].add(symbol)
                (older, previous) = (previous, symbol)
            }
        }
    }

    /// Trains on the vocabulary's tokens, `<unk>` and `<eos>` left out.
    public init(vocabulary: Vocabulary) {
        self.init(words: vocabulary.tokens.dropFirst(2))
    }

    /// `−log₂ p_spell(word)`: the bits of `word`'s characters and its end.
    public func bits(of word: String) -> Double {
        var (older, previous) = (Self.beginSymbol, Self.beginSymbol)
        var bits = 0.0
        for symbol in word.unicodeScalars.map(\.value) + [Self.endSymbol] {
            bits -= log2(probability(of: symbol, older: older, previous: previous))
            (older, previous) = (previous, symbol)
        }
        return bits
    }

    /// `p(symbol | older previous)`, interpolated down to the uniform distribution.
    func probability(of symbol: UInt32, older: UInt32, previous: UInt32) -> Double {
        let uniform = 1 / Self.symbolCount
        let first = unigram.probability(of: symbol, lower: uniform)
        let second = bigram[previous]?.probability(of: symbol, lower: first) ?? first
        return trigram[Self.key(older, previous)]?.probability(of: symbol, lower: second) ?? second
    }

    private static func key(_ older: UInt32, _ previous: UInt32) -> UInt64 { UInt64(older) << 32 | UInt64(previous) }
}
