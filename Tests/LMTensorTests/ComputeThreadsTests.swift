import Foundation
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

    @Test func everyPartRunsOnceInEachOfManyJobs() {
        #expect(Self.runJobs(20_000, parts: ComputeThreads.count))
    }

    @Test func moreOrFewerPartsThanThreadsStillRunOnce() {
        #expect(Self.runJobs(100, parts: ComputeThreads.count + 3))
        #expect(Self.runJobs(100, parts: 1))
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
