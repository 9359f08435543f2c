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
        /// Each rank's segment of the shared sum's memory (one shared sum per group).
        var segments: [UnsafeMutablePointer<Float>?]

        init(processCount: Int) {
            self.processCount = processCount
            contributions = Array(repeating: [], count: processCount)
            segments = Array(repeating: nil, count: processCount)
        }
    }

    let rank: Int
    let meeting: Meeting
    /// As the processes of several machines (the group then sums beside the backward pass).
    let spansMachines: Bool
    /// Whether ``sharedSum(count:)`` gives memory, as MPI does for processes of one machine.
    let sharesMemory: Bool
    var processCount: Int { meeting.processCount }

    init(rank: Int, meeting: Meeting, spansMachines: Bool, sharesMemory: Bool) {
        self.rank = rank
        self.meeting = meeting
        self.spansMachines = spansMachines
        self.sharesMemory = sharesMemory
    }

    /// One collective for each of `count` ranks, sharing a meeting; memory is shared as MPI
    /// shares it (on one machine) unless `sharingMemory` says otherwise.
    static func group(of count: Int, spanningMachines: Bool = false, sharingMemory: Bool? = nil) -> [ThreadCollectives] {
        let meeting = Meeting(processCount: count)
        return (0..<count).map {
            ThreadCollectives(
                rank: $0, meeting: meeting, spansMachines: spanningMachines, sharesMemory: sharingMemory ?? !spanningMachines)
        }
    }

    func sharedSum(count: Int) throws -> (any SharedSum)? {
        guard sharesMemory else { return nil }
        let local = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        local.initialize(repeating: 0, count: max(count, 1))
        meet(contribution: { meeting.segments[rank] = local }, whenAllArrived: {})
        return SharedSegments(collectives: self, local: local)
    }

    /// The segments of every rank, summed by the last to arrive, in rank order in Float, as
    /// MPI's shared window is.
    final class SharedSegments: SharedSum {
        let collectives: ThreadCollectives
        let local: UnsafeMutablePointer<Float>

        init(collectives: ThreadCollectives, local: UnsafeMutablePointer<Float>) {
            self.collectives = collectives
            self.local = local
        }

        deinit { local.deallocate() }

        func run(count: Int) throws {
            let meeting = collectives.meeting
            collectives.meet(contribution: {}) {
                let segments = meeting.segments.map { $0! }
                for index in 0..<count {
                    let total = segments.dropFirst().reduce(segments[0][index]) { $0 + $1[index] }
                    for segment in segments { segment[index] = total }
                }
            }
        }
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
        meet(contribution: { meeting.contributions[rank] = values }) {
            meeting.result = meeting.contributions.dropFirst().reduce(meeting.contributions[0]) { zip($0, $1).map(+) }
        }
    }

    /// A collective call: every rank makes its `contribution`, the last to arrive runs
    /// `whenAllArrived`, and all return after it, with the meeting's result (under its lock).
    @discardableResult
    private func meet(contribution: () -> Void, whenAllArrived: () -> Void) -> [Double] {
        meeting.condition.lock()
        defer { meeting.condition.unlock() }
        let round = meeting.round
        contribution()
        meeting.arrived += 1
        if meeting.arrived == processCount {
            whenAllArrived()
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
        processes: Int, spanningMachines: Bool = false, sharingMemory: Bool? = nil,
        _ body: @escaping @Sendable (Int, ThreadCollectives) throws -> Result
    ) throws -> [Result] {
        let collectives = group(of: processes, spanningMachines: spanningMachines, sharingMemory: sharingMemory)
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
