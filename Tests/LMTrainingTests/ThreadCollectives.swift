import Foundation

@testable import LMTraining

/// `N` threads of one test process standing for the processes of a data-parallel run:
/// each thread's ``Collectives`` waits for the others at every call, as MPI's do, and
/// every thread receives the same sums (accumulated in Float64, in rank order).
final class ThreadCollectives: Collectives, @unchecked Sendable {
    /// What the threads share: the sums of the call in progress and of the last one.
    final class Meeting: @unchecked Sendable {
        let processCount: Int
        let condition = NSCondition()
        var arrived = 0
        var round = 0
        var contributions: [[Double]]
        var result: [Double] = []

        init(processCount: Int) {
            self.processCount = processCount
            contributions = Array(repeating: [], count: processCount)
        }
    }

    let rank: Int
    let meeting: Meeting
    /// As the processes of several machines (the group then sums beside the backward pass).
    let spansMachines: Bool
    var processCount: Int { meeting.processCount }

    init(rank: Int, meeting: Meeting, spansMachines: Bool) {
        self.rank = rank
        self.meeting = meeting
        self.spansMachines = spansMachines
    }

    /// One collective for each of `count` ranks, sharing a meeting.
    static func group(of count: Int, spanningMachines: Bool = false) -> [ThreadCollectives] {
        let meeting = Meeting(processCount: count)
        return (0..<count).map { ThreadCollectives(rank: $0, meeting: meeting, spansMachines: spanningMachines) }
    }

    func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        let sums = exchange(values.map(Double.init))
        for index in values.indices { values[index] = Float(sums[index]) }
    }

    func sum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        let sums = exchange(Array(values))
        for index in values.indices { values[index] = sums[index] }
    }

    /// The element-wise sum of every rank's `values`, once all have given theirs.
    private func exchange(_ values: [Double]) -> [Double] {
        meeting.condition.lock()
        defer { meeting.condition.unlock() }
        let round = meeting.round
        meeting.contributions[rank] = values
        meeting.arrived += 1
        if meeting.arrived == processCount {
            meeting.result = meeting.contributions.dropFirst().reduce(meeting.contributions[0]) { zip($0, $1).map(+) }
            meeting.arrived = 0
            meeting.round += 1
            meeting.condition.broadcast()
        } else {
            while meeting.round == round { meeting.condition.wait() }
        }
        return meeting.result
    }

    /// Runs `body(rank, collectives)` on one thread per rank and returns their results in
    /// rank order.
    static func run<Result>(
        processes: Int, spanningMachines: Bool = false, _ body: @escaping @Sendable (Int, ThreadCollectives) throws -> Result
    ) throws -> [Result] {
        let collectives = group(of: processes, spanningMachines: spanningMachines)
        let results = Results<Result>(count: processes)
        let threads = (0..<processes).map { rank in
            Thread {
                results.store(rank, Swift.Result { try body(rank, collectives[rank]) })
            }
        }
        threads.forEach { $0.stackSize = 8 << 20 }
        threads.forEach { $0.start() }
        return try results.waitForAll().map { try $0.get() }
    }

    private final class Results<Value>: @unchecked Sendable {
        let condition = NSCondition()
        var values: [Swift.Result<Value, any Error>?]

        init(count: Int) { values = Array(repeating: nil, count: count) }

        func store(_ rank: Int, _ value: Swift.Result<Value, any Error>) {
            condition.lock()
            values[rank] = value
            condition.broadcast()
            condition.unlock()
        }

        func waitForAll() -> [Swift.Result<Value, any Error>] {
            condition.lock()
            defer { condition.unlock() }
            while values.contains(where: { $0 == nil }) { condition.wait() }
            return values.map { $0! }
        }
    }
}
