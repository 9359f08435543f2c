import Foundation
import Synchronization
import Testing

@testable import LMTensor

/// The thread pool: every part of a job runs exactly once and its writes are visible
/// when the job returns, job after job, after the workers have gone to sleep, from
/// inside another job, and from several threads at once.
@Suite struct ComputeThreadsTests {
    /// Runs `jobs` jobs of `parts` parts; each part adds its index plus one to its own
    /// slot, so after every job the slots must hold `(part + 1) · jobsSoFar`.
    private static func runJobs(_ jobs: Int, parts: Int) -> Bool {
        var slots = [Int](repeating: 0, count: parts)
        var consistent = true
        slots.withUnsafeMutableBufferPointer { slots in
            for job in 1...jobs {
                ComputeThreads.forEach(parts: parts) { part in slots[part] += part + 1 }
                for part in 0..<parts where slots[part] != (part + 1) * job { consistent = false }
            }
        }
        return consistent
    }

    /// Jobs run correctly once stopped workers are back.
    static func runJobsAfterRelease() -> Bool { runJobs(1000, parts: ComputeThreads.count) }

    @Test func everyPartRunsOnceInEachOfManyJobs() {
        #expect(Self.runJobs(20_000, parts: ComputeThreads.count))
    }

    @Test func moreOrFewerPartsThanThreadsStillRunOnce() {
        #expect(Self.runJobs(100, parts: ComputeThreads.count + 3))
        #expect(Self.runJobs(100, parts: 1))
    }

    /// A job of long parts may have more parts than threads: the threads claim them.
    @Test func aLongJobOfMorePartsThanThreadsRunsEachPartOnce() {
        let parts = ComputeThreads.count * 3 + 1
        var slots = [Int](repeating: 0, count: parts)
        slots.withUnsafeMutableBufferPointer { slots in
            for _ in 0..<200 { ComputeThreads.forEach(parts: parts, long: true) { part in slots[part] += 1 } }
        }
        #expect(slots == [Int](repeating: 200, count: parts))
    }

    /// Workers stop polling after a few milliseconds and sleep; the next job wakes them.
    @Test func aJobAfterTheWorkersSleepStillRuns() {
        for _ in 0..<3 {
            Thread.sleep(forTimeInterval: 0.02)
            #expect(Self.runJobs(2, parts: ComputeThreads.count))
        }
    }

    @Test func aJobInsideAJobRunsItsPartsOnItsOwnThread() {
        let parts = max(ComputeThreads.count, 2)
        var totals = [Int](repeating: 0, count: parts)
        totals.withUnsafeMutableBufferPointer { totals in
            ComputeThreads.forEach(parts: parts) { outer in
                var inner = [Int](repeating: 0, count: 4)
                ComputeThreads.forEach(parts: 4) { part in inner[part] = part + 1 }
                totals[outer] = inner.reduce(0, +)
            }
        }
        #expect(totals == [Int](repeating: 10, count: parts))
    }

    @Test func jobsFromSeveralThreadsAtOnceAllComplete() {
        let callers = 4
        nonisolated(unsafe) let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: callers)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            results[caller] = Self.runJobs(2_000, parts: ComputeThreads.count)
        }
        #expect(results.allSatisfy { $0 })
    }
}

/// Ranges cover `0..<count` exactly once, in order, however the work is split.
@Suite struct ComputeThreadsRangeTests {
    @Test(arguments: [0, 1, 2, 3, 20, 1001])
    func rangesCoverEveryItemOnce(count: Int) {
        for splitting in [false, true] {
            var seen = [Int](repeating: 0, count: count)
            seen.withUnsafeMutableBufferPointer { seen in
                ComputeThreads.forEachRange(of: count, splitting: splitting) { range in
                    for item in range { seen[item] += 1 }
                }
            }
            #expect(seen.allSatisfy { $0 == 1 })
        }
    }
}

/// A worker that another process keeps off its core stalls no job. Here one worker is
/// held inside a signal handler (as good as descheduled, for as long as the test wants)
/// while jobs that ask for every thread run: they still finish, their parts claimed by
/// the threads that run.
@Suite(.serialized) struct ComputeThreadsPreemptionTests {
    /// 1 while the stopped worker is to stay stopped.
    static let holding = Atomic<Int>(0)
    /// Handlers holding a worker.
    static let held = Atomic<Int>(0)

    /// The pool's workers, by their thread name.
    static func workerThreadIDs() -> Set<Int32> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(tasks.compactMap { task in
            let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            return name?.trimmingCharacters(in: .whitespacesAndNewlines) == "lmtool-worker" ? Int32(task) : nil
        })
    }

    @Test func aStoppedWorkerCannotStallAJob() throws {
        let threads = ComputeThreads.count
        let before = Self.workerThreadIDs()
        // One more worker, started from this thread with SIGUSR1 unblocked (a new thread
        // inherits its creator's signal mask; the test runner's threads block signals).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGUSR1)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        ComputeThreads.set(threads + 1)
        defer { ComputeThreads.set(threads) }
        let added = Self.workerThreadIDs().subtracting(before)
        let worker = try #require(added.first, "a new worker started")

        signal(SIGUSR1) { _ in
            ComputeThreadsPreemptionTests.held.add(1, ordering: .sequentiallyConsistent)
            var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            while ComputeThreadsPreemptionTests.holding.load(ordering: .sequentiallyConsistent) == 1 { nanosleep(&pause, nil) }
            ComputeThreadsPreemptionTests.held.subtract(1, ordering: .sequentiallyConsistent)
        }
        defer { signal(SIGUSR1, SIG_DFL) }
        Self.holding.store(1, ordering: .sequentiallyConsistent)
        // glibc's tgkill (2.30 and later), which Swift's Glibc module does not declare.
        typealias ThreadKill = @convention(c) (pid_t, pid_t, Int32) -> Int32
        let threadKill = unsafeBitCast(try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "tgkill")), to: ThreadKill.self)
        #expect(threadKill(getpid(), worker, SIGUSR1) == 0)
        let deadline = Date().addingTimeInterval(10)
        while Self.held.load(ordering: .sequentiallyConsistent) == 0 && Date() < deadline { usleep(1000) }
        try #require(Self.held.load(ordering: .sequentiallyConsistent) == 1, "the worker is stopped")

        // With parts tied to threads, the first job would wait for the stopped worker.
        let done = DispatchSemaphore(value: 0)
        let allPartsRan = Atomic<Bool>(false)
        Thread.detachNewThread {
            var slots = [Int](repeating: 0, count: threads + 1)
            slots.withUnsafeMutableBufferPointer { slots in
                for _ in 0..<1000 { ComputeThreads.forEach(parts: slots.count) { part in slots[part] += 1 } }
            }
            allPartsRan.store(slots.allSatisfy { $0 == 1000 }, ordering: .sequentiallyConsistent)
            done.signal()
        }
        let finished = done.wait(timeout: .now() + 60) == .success
        Self.holding.store(0, ordering: .sequentiallyConsistent)
        #expect(finished, "1000 jobs of every thread finished while a worker was stopped")
        let correct = allPartsRan.load(ordering: .sequentiallyConsistent)
        if finished { #expect(correct) }
        while Self.held.load(ordering: .sequentiallyConsistent) > 0 { usleep(1000) }
    }

    /// A worker that loses its core in the middle of a part (here: sleeps 5 ms in it) holds
    /// its job up; the caller then runs the next jobs alone, its workers asleep, and jobs
    /// are split as for one thread; after a while the workers are tried again.
    @Test func aStalledJobMakesTheCallerWorkAloneForAWhile() throws {
        let threads = ComputeThreads.count
        if threads < 2 { ComputeThreads.set(2) }
        defer { ComputeThreads.set(threads) }
        let caller = pthread_self()
        /// Runs a job of two parts of `milliseconds` each (`workerDelay` more on a worker);
        /// returns whether a worker ran one.
        func job(milliseconds: UInt32, workerDelay: UInt32 = 0, long: Bool = false) -> Bool {
            let onWorker = Atomic<Int>(0)
            ComputeThreads.forEach(parts: 2, long: long) { _ in
                let isWorker = pthread_equal(pthread_self(), caller) == 0
                usleep(milliseconds * 1000 + (isWorker ? workerDelay * 1000 : 0))
                if isWorker { onWorker.add(1, ordering: .sequentiallyConsistent) }
            }
            return onWorker.load(ordering: .sequentiallyConsistent) > 0
        }

        // An earlier test may have left the caller working alone: wait out that period,
        // and give the worker a millisecond to claim the second part.
        Thread.sleep(forTimeInterval: 1.1)
        var stalled = false
        for _ in 0..<200 where !stalled { stalled = job(milliseconds: 1, workerDelay: 5) }
        try #require(stalled, "a worker ran a part of a job")
        #expect(ComputeThreads.forNextJob == 1, "after a stall jobs are split for one thread")
        // A worker, awake and polling, would claim the second part while the caller sleeps 20 ms in the first.
        #expect(!job(milliseconds: 20), "the job after a stall runs on the caller alone")
        #expect(job(milliseconds: 20, long: true), "a job of long parts is still offered to the workers")

        // The longest solo period is a second; then the workers take parts again.
        var workersBack = false
        for _ in 0..<5 where !workersBack {
            Thread.sleep(forTimeInterval: 1.1)
            for _ in 0..<20 where !workersBack { workersBack = job(milliseconds: 5) }
        }
        #expect(workersBack, "the workers are tried again after the solo period")
    }
}
