import Testing

@testable import LMNetwork

/// How data-parallel training splits a batch's streams between processes (``BatchShard``).
@Suite struct BatchShardTests {
    @Test func eachProcessRunsItsRunOfStreams() throws {
        let shards = try (0..<4).map { try BatchShard(batchSize: 20, processes: 4, rank: $0) }
        #expect(shards.map(\.streams) == [0..<5, 5..<10, 10..<15, 15..<20])
        #expect(shards.allSatisfy { $0.total == 20 && !$0.isWholeBatch })
        let alone = try BatchShard(batchSize: 20, processes: 1, rank: 0)
        #expect(alone == BatchShard(wholeBatchOf: 20) && alone.isWholeBatch)
    }

    /// A process's streams split between its threads' shards keep their place in the batch.
    @Test func aProcessShardSplitsIntoRunsOfItsStreams() throws {
        let process = try BatchShard(batchSize: 16, processes: 2, rank: 1)
        let shards = process.split(into: 4)
        #expect(shards.map(\.streams) == [8..<10, 10..<12, 12..<14, 14..<16])
        #expect(shards.allSatisfy { $0.total == 16 })
        #expect(BatchShard(wholeBatchOf: 6).split(into: 1) == [BatchShard(wholeBatchOf: 6)])
    }

    /// Evaluation's groups need not be equal: their lengths differ by at most one, in order.
    @Test func streamsSplitIntoNearEqualGroups() throws {
        #expect(BatchShard(wholeBatchOf: 5).groups(2).map(\.streams) == [0..<2, 2..<5])
        #expect(BatchShard(wholeBatchOf: 10).groups(4).map(\.streams) == [0..<2, 2..<5, 5..<7, 7..<10])
        let process = try BatchShard(batchSize: 10, processes: 2, rank: 1)
        #expect(process.groups(2).map(\.streams) == [5..<7, 7..<10])
        #expect(process.groups(2).allSatisfy { $0.total == 10 })
        #expect(BatchShard(wholeBatchOf: 3).groups(3).map(\.count) == [1, 1, 1])
    }

    /// The one-line refusal names the flag, the batch and the number of processes.
    @Test func aBatchTheProcessesDoNotDivideIsRefused() {
        #expect(throws: BatchSplitError(batchSize: 20, processes: 3)) { try BatchShard(batchSize: 20, processes: 3, rank: 1) }
        let message = BatchSplitError(batchSize: 20, processes: 3).description
        #expect(message.hasPrefix("--batch 20 does not split between 3 processes"))
        #expect(!message.contains("\n"))
    }

    /// A shard's columns of a window `[T, B]`, rows of a state `[B, H]` and streams of a
    /// token stream; the whole batch's columns and rows are the values themselves.
    @Test func aShardTakesItsColumnsOfAWindowAndItsRowsOfAState() throws {
        let shard = try BatchShard(batchSize: 4, processes: 2, rank: 1)
        let window = Array(0..<12)  // [T = 3, B = 4]
        #expect(shard.columns(of: window) == [2, 3, 6, 7, 10, 11])
        let state = Array(0..<8)  // [B = 4, H = 2]
        #expect(shard.slice(state, width: 2) == [4, 5, 6, 7])
        #expect(BatchShard(wholeBatchOf: 4).columns(of: window) == window)
        let tokens = Array(0..<13)  // 4 streams of 3, one token left over
        #expect(shard.streams(of: tokens) == [6, 7, 8, 9, 10, 11])
    }
}
