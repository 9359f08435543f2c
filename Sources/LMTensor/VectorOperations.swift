/// Whole-array reductions and updates for long vectors (every gradient at once), split
/// between ``ComputeThreads`` in fixed blocks so that results do not depend on the thread
/// count.
package enum VectorOperations {
    /// Elements per block: a thread's unit of work, and the unit of Float64 accumulation.
    static let blockSize = 1 << 14

    /// Runs `body(range)` on the `count` elements' blocks, split between threads when there
    /// are several blocks. Blocks are disjoint; `body` must touch only its range.
    package static func forEachBlock(count: Int, _ body: (Range<Int>) -> Void) {
        let blocks = (count + blockSize - 1) / blockSize
        let parts = min(ComputeThreads.forNextJob, blocks)
        ComputeThreads.forEach(parts: parts) { part in
            for block in (blocks * part / parts)..<(blocks * (part + 1) / parts) {
                body((block * blockSize)..<min(count, (block + 1) * blockSize))
            }
        }
    }

    /// `Σ x²`: squares summed 16 lanes at a time in Float32 within runs of 1024 elements,
    /// then in Float64, and block sums added in order.
    package static func sumOfSquares(_ values: UnsafeBufferPointer<Float>) -> Double {
        guard let base = values.baseAddress else { return 0 }
        let blocks = (values.count + blockSize - 1) / blockSize
        var blockSums = [Double](repeating: 0, count: blocks)
        blockSums.withUnsafeMutableBufferPointer { blockSums in
            forEachBlock(count: values.count) { range in
                var total = 0.0
                var index = range.lowerBound
                while index < range.upperBound {
                    let end = min(range.upperBound, index + 1024)
                    var lanes = SIMD16<Float>()
                    while index + 16 <= end {
                        let vector = UnsafeRawPointer(base + index).loadUnaligned(as: SIMD16<Float>.self)
                        lanes += vector * vector
                        index += 16
                    }
                    total += Double(lanes.sum())
                    while index < end {
                        total += Double(base[index]) * Double(base[index])
                        index += 1
                    }
                }
                blockSums[range.lowerBound / blockSize] = total
            }
        }
        return blockSums.reduce(0, +)
    }

    /// `target[i] = source[i]` for `i < count`, the copy split between threads (the ranges
    /// must not overlap).
    package static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        forEachBlock(count: count) { range in
            (target + range.lowerBound).update(from: source + range.lowerBound, count: range.count)
        }
    }

    /// `target[i] += source[i]` for `i < count`, split between threads.
    package static func add(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        forEachBlock(count: count) { range in
            for index in range { target[index] += source[index] }
        }
    }

    /// `x[i] = 0` for `i < count`, split between threads.
    package static func zero(_ values: UnsafeMutablePointer<Float>, count: Int) {
        forEachBlock(count: count) { range in (values + range.lowerBound).update(repeating: 0, count: range.count) }
    }
}
