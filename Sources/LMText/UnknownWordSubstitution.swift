/// Reads training words as `<unk>` now and then (`--unk-alpha α`), so that the model learns
/// how likely a word it does not know is: held-out text has such words, but a vocabulary
/// of every training word leaves none in the training text, and the model would give
/// `<unk>` next to no probability. An occurrence of a word seen `c` times in the training
/// text is read as `<unk>` with probability `α / (α + c)` (Kiperwasser & Goldberg 2016's
/// word dropout): rare words often, frequent ones almost never, as held-out text's
/// unknown words are rare words.
///
/// Whether an occurrence is replaced depends on the key (the seed and the epoch) and the
/// occurrence's position in the training text alone: the same token reads the same as a
/// window's last target and the next window's first input, and a resumed epoch reads as
/// the uninterrupted one did. `<unk>` and `<eos>` are never replaced.
public struct UnknownWordSubstitution: Sendable {
    /// `[V]`: `α / (α + c)` of each id, as a fraction of 2³².
    private let thresholds: [UInt32]
    private let key: UInt64

    /// - Parameters:
    ///   - alpha: `α` (> 0).
    ///   - counts: `[V]` each id's count in the training text.
    public init(alpha: Float, counts: [Int], seed: UInt64) {
        precondition(alpha > 0, "alpha must be positive")
        thresholds = counts.enumerated().map { id, count in
            guard id != Int(Vocabulary.unknownID) && id != Int(Vocabulary.endOfLineID) else { return 0 }
            let probability = Double(alpha) / (Double(alpha) + Double(count))
            return UInt32(min(probability * 0x1p32, Double(UInt32.max)))
        }
        key = seed
    }

    /// The same substitution with the key of `epoch`: each epoch replaces other occurrences.
    public func forEpoch(_ epoch: Int) -> UnknownWordSubstitution {
        UnknownWordSubstitution(thresholds: thresholds, key: Self.mix(key ^ (UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)))
    }

    private init(thresholds: [UInt32], key: UInt64) {
        self.thresholds = thresholds
        self.key = key
    }

    /// `token` at `position` of the training text, or `<unk>` in its place.
    @inline(__always)
    public func token(_ token: Int32, at position: Int) -> Int32 {
        let draw = UInt32(truncatingIfNeeded: Self.mix(key ^ UInt64(position)) >> 32)
        return draw < thresholds[Int(token)] ? Vocabulary.unknownID : token
    }

    /// Each id's count in `tokens` (`[V]`), in one pass that releases mapped ids as it goes.
    public static func counts(of tokens: TokenIDs, vocabularySize: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: vocabularySize)
        tokens.forEachPiece { ids in for id in ids { counts[Int(id)] += 1 } }
        return counts
    }

    /// SplitMix64's finaliser: every input bit moves every output bit.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
