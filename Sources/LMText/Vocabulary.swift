import Foundation

/// Token ↔ id mapping built from a training corpus.
///
/// Ids: `<unk>` is 0, `<eos>` is 1, then the kept tokens by count, most frequent first,
/// ties broken by code-point order, so the same corpus and settings always give the same
/// ids. Tokens seen fewer than `minCount` times, and those past `maxSize`, are left out
/// and read as `<unk>`.
public struct Vocabulary: Equatable, Sendable {
    /// Tokens in id order.
    public private(set) var tokens: [String]
    /// Training-corpus count of each token, in id order (`<unk>` counts what it replaced).
    public private(set) var counts: [Int]
    private var ids: [String: Int32]

    public static let unknownID: Int32 = 0
    public static let endOfLineID: Int32 = 1

    public var count: Int { tokens.count }

    /// Builds the vocabulary from token counts.
    /// - Parameters:
    ///   - minCount: keep tokens seen at least this often (1: all).
    ///   - maxSize: at most this many ids in all, specials included.
    public init(counts tokenCounts: [String: Int], minCount: Int = 1, maxSize: Int? = nil) {
        var candidates = tokenCounts.filter {
            $0.key != SpecialToken.unknown && $0.key != SpecialToken.endOfLine && $0.value >= minCount
        }.map { (token: $0.key, count: $0.value) }
        candidates.sort {
            $0.count != $1.count ? $0.count > $1.count : $0.token.unicodeScalars.lexicographicallyPrecedes($1.token.unicodeScalars) { $0.value < $1.value }
        }
        if let maxSize { candidates = Array(candidates.prefix(max(0, maxSize - 2))) }
        let kept = candidates.reduce(0) { $0 + $1.count }
        let total = tokenCounts.values.reduce(0, +)
        let endOfLines = tokenCounts[SpecialToken.endOfLine] ?? 0
        tokens = [SpecialToken.unknown, SpecialToken.endOfLine] + candidates.map(\.token)
        counts = [total - kept - endOfLines, endOfLines] + candidates.map(\.count)
        ids = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, Int32($0)) })
    }

    /// The vocabulary of a subword model: its pieces in their ids, with their counts in
    /// `counts` (0 for pieces the text does not use).
    public init(subwordModel: SubwordModel, counts tokenCounts: [String: Int]) {
        self.init(tokens: subwordModel.pieces, counts: subwordModel.pieces.map { tokenCounts[$0] ?? 0 })
    }

    /// A vocabulary from tokens and counts in id order (as stored).
    init(tokens: [String], counts: [Int]) {
        self.tokens = tokens
        self.counts = counts
        ids = Dictionary(tokens.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The id of `token`, `<unk>`'s when it is not in the vocabulary.
    public func id(of token: String) -> Int32 { ids[token] ?? Self.unknownID }

    /// The id of `token`, or nil when it is not in the vocabulary.
    public func knownID(of token: String) -> Int32? { ids[token] }

    public func token(at id: Int32) -> String { tokens[Int(id)] }

    /// Share of the training corpus's tokens that the vocabulary covers (not `<unk>`).
    public var coverage: Double {
        let total = counts.reduce(0, +)
        return total > 0 ? 1 - Double(counts[0]) / Double(total) : 0
    }
}
