import Foundation

/// The thread on which a data-parallel group sums gradients over the processes while the
/// backward pass goes on below them (as Horovod and PyTorch's DistributedDataParallel overlap them):
/// the trainer hands over each layer's gradients as soon as they are final, and this
/// thread runs the collective calls on them, one job at a time, in the order given. So
/// every process makes the same calls in the same order, and the group's calls stay one at
/// a time (MPI_THREAD_SERIALIZED) as long as the handing thread makes none of its own
/// before ``waitUntilDone()`` returns.
///
/// A job runs on this thread alone: it must not use the compute threads' pool, which
/// belongs to the thread running the backward pass.
final class AveragingThread {
    private let queue = JobQueue()

    init() {
        let queue = self.queue
        let thread = Thread { queue.serve() }
        thread.name = "lmtool gradient averaging"
        thread.start()
    }

    deinit { queue.close() }

    /// Runs `job` after the jobs before it; once one has failed, the rest are skipped.
    func enqueue(_ job: @escaping () throws -> Void) { queue.add(job) }

    /// Returns once every job given has run, with the seconds this thread spent running
    /// them since the last call.
    /// - Throws: the first error a job threw since the last call.
    func waitUntilDone() throws -> Double { try queue.waitUntilEmpty() }
}

/// The jobs and what they left, shared by the thread that gives them and the thread that
/// runs them.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() throws -> Void] = []
    /// A job taken but not yet finished.
    private var running = false
    private var failure: (any Error)?
    private var busySeconds = 0.0
    private var closed = false

    func add(_ job: @escaping () throws -> Void) {
        condition.lock()
        jobs.append(job)
        condition.broadcast()
        condition.unlock()
    }

    func waitUntilEmpty() throws -> Double {
        condition.lock()
        defer { condition.unlock() }
        while running || !jobs.isEmpty { condition.wait() }
        let (failure, busy) = (self.failure, busySeconds)
        (self.failure, busySeconds) = (nil, 0)
        if let failure { throw failure }
        return busy
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The thread's loop: takes the jobs in order until closed.
    func serve() {
        condition.lock()
        while true {
            while jobs.isEmpty && !closed { condition.wait() }
            if jobs.isEmpty { break }
            let job = jobs.removeFirst()
            let skip = failure != nil
            running = true
            condition.unlock()
            let started = DispatchTime.now().uptimeNanoseconds
            var error: (any Error)?
            if !skip {
                do { try job() } catch let thrown { error = thrown }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            condition.lock()
            running = false
            busySeconds += seconds
            if failure == nil { failure = error }
            condition.broadcast()
        }
        condition.unlock()
    }
}
