/// The streams of a batch one process of data-parallel training runs: `count` of the
/// batch's `total` streams `B`, from stream `first`. Dropout draws the masks of the whole
/// batch and keeps this slice of them, so the processes together drop exactly what one
/// process running the whole batch would.
public struct BatchShard: Equatable, Sendable {
    public let first: Int
    public let count: Int
    public let total: Int

    /// Every stream of a batch of `batchSize`: the one-process case.
    public init(wholeBatchOf batchSize: Int) {
        (first, count, total) = (0, batchSize, batchSize)
    }

    /// Process `rank`'s share of a batch of `batchSize` streams split between `processes`
    /// processes: the streams `rank · B/N ..< (rank + 1) · B/N`.
    /// - Throws: ``BatchSplitError`` when `N` does not divide `B`: processes with unequal
    ///   shares would weigh their tokens unequally in the averaged gradient.
    public init(batchSize: Int, processes: Int, rank: Int) throws(BatchSplitError) {
        precondition(processes > 0 && (0..<processes).contains(rank), "rank \(rank) is not one of \(processes) processes")
        guard batchSize % processes == 0 else { throw BatchSplitError(batchSize: batchSize, processes: processes) }
        count = batchSize / processes
        first = rank * count
        total = batchSize
    }

    /// This shard's streams cut into `parts` equal shards, in order (the threads of one
    /// process each training one: ``WindowShards``); `parts` must divide ``count``.
    public func split(into parts: Int) -> [BatchShard] {
        precondition(parts > 0 && count % parts == 0, "\(parts) parts do not split \(count) streams equally")
        return groups(parts)
    }

    /// This shard's streams cut into `parts` runs whose lengths differ by at most one, in
    /// order (`parts` from 1 to ``count``): for evaluation, whose groups' sums simply add up.
    public func groups(_ parts: Int) -> [BatchShard] {
        precondition((1...max(count, 1)).contains(parts), "\(parts) groups of \(count) streams")
        return (0..<parts).map { part in
            let (lower, upper) = (count * part / parts, count * (part + 1) / parts)
            return BatchShard(first: first + lower, count: upper - lower, total: total)
        }
    }

    private init(first: Int, count: Int, total: Int) {
        (self.first, self.count, self.total) = (first, count, total)
    }

    public var streams: Range<Int> { first..<first + count }
    public var isWholeBatch: Bool { count == total }

    /// This shard's rows of `values` `[B, width]`, row-major: `[count, width]` (`values`
    /// itself for the whole batch).
    public func slice<Element>(_ values: [Element], width: Int) -> [Element] {
        if isWholeBatch { return values }
        return Array(values[first * width..<(first + count) * width])
    }

    /// This shard's streams of a token stream cut into `B` streams of equal length (the
    /// remainder dropped), as `Batcher` cuts it: `[count, tokens.count / B]`.
    public func streams<Element>(of tokens: [Element]) -> [Element] {
        let length = tokens.count / total
        return Array(tokens[first * length..<(first + count) * length])
    }

    /// This shard's columns of `values` `[T, B]`, row-major: `[T, count]` (`values` itself
    /// for the whole batch).
    public func columns<Element>(of values: [Element]) -> [Element] {
        if isWholeBatch { return values }
        precondition(values.count % total == 0, "values must be [T, B]")
        return (0..<values.count / total).flatMap { row in values[row * total + first..<row * total + first + count] }
    }
}

/// A batch that the processes of a data-parallel run cannot share equally.
public struct BatchSplitError: Error, Equatable, CustomStringConvertible {
    public let batchSize: Int
    public let processes: Int

    public init(batchSize: Int, processes: Int) {
        self.batchSize = batchSize
        self.processes = processes
    }

    public var description: String {
        "--batch \(batchSize) does not split between \(processes) processes: choose a batch that \(processes) divides (each process runs batch / \(processes) streams)"
    }
}
