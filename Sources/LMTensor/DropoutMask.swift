import CElementwiseKernels

/// Dropout's random keep/drop decisions, drawn many at once: counter-based (each element's
/// decision is SplitMix64's output for its index and one key, `CElementwiseKernels`'
/// `vector_dropout_mask`), so a mask is split between ``ComputeThreads`` and computed at
/// the CPU's full vector width, and is the same whatever the split or the instruction set.
/// One key per mask comes from the model's ``RandomGenerator``, which keeps training
/// reproducible and resumable from a checkpoint.
package enum DropoutMask {
    /// Fills `mask[0..<count]` with 0 (dropped, with probability `probability`) or 1
    /// (kept): elements `first ..< first + count` of the mask that `key` draws. Element `i`
    /// is dropped when the top 24 bits of its draw are below `⌈p · 2²⁴⌉`: the test
    /// `RandomGenerator.nextUniform() < p` makes on its 24 bits.
    package static func fill(
        _ mask: UnsafeMutablePointer<UInt8>, first: Int = 0, count: Int, probability: Float, key: UInt64
    ) {
        precondition((0...1).contains(probability), "a probability is in [0, 1]")
        let threshold = UInt32((probability * 0x1p24).rounded(.up))
        ComputeThreads.forEachRange(of: count, splitting: count >= 1 << 15) { range in
            vector_dropout_mask(
                Activations.kernels, mask + range.lowerBound, first + range.lowerBound, range.count, key, threshold)
        }
    }
}
