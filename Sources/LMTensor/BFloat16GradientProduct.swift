import CMatrixProducts

/// The weight-gradient products of mixed-precision training (`lmtool train --bf16`):
/// `c [m, n] += round(a)ᵀ · round(b)` for `a` `[k, m]` and `b` `[k, n]`, both stored down a
/// window's `k` rows, as `dW += dYᵀ X` is; operands rounded to bfloat16, sums in Float32.
///
/// With AVX512_BF16 both operands are packed into pairs of rows (`bf16_pack_columns`) and
/// `bf16_gemm` multiplies them; without it, the rounded operands meet in a Float32 product
/// (the same function). ``setLeft(_:rows:columns:)`` packs `a` once for several `b`: a
/// layer's gate gradients meet both its inputs and its previous hidden states. Not for
/// products on several threads at once (the scratch space is the instance's).
package final class BFloat16GradientProduct {
    /// Whether products run on AVX512_BF16 (else on rounded Float32 copies).
    private let pairsNative: Bool

    /// - Parameter pairProducts: use AVX512_BF16 where the CPU has it (tests turn it off to
    ///   check the Float32 route).
    package init(pairProducts: Bool = true) {
        pairsNative = pairProducts && PackedMatrix.InstructionSet.best == .avx512 && bf16_gemm_supported() != 0
    }

    deinit {
        leftPairs.deallocate()
        rightPairs.deallocate()
    }

    /// Takes `a` `[k, m]` (row length `m`) as the left operand of the next products.
    package func setLeft(_ a: UnsafePointer<Float>, rows k: Int, columns m: Int) {
        (self.k, self.m) = (k, m)
        guard pairsNative else {
            let rounded = roundedLeft.reserve(k * m)
            bf16_round(a, k * m, rounded)
            return
        }
        reserve(&leftPairs, &leftCapacity, count: bf16_packed_rows_count(m, k))
        Self.pack(a, rows: k, columns: m, block: 12, into: leftPairs)
    }

    /// `c [m, n] += round(a)ᵀ · round(b)` with the last ``setLeft(_:rows:columns:)``'s `a`
    /// and `b` `[k, n]` (row length `n`); `c` row-major with row length `n`.
    package func accumulate(_ b: UnsafePointer<Float>, columns n: Int, into c: UnsafeMutablePointer<Float>) {
        let (k, m) = (k, m)
        guard pairsNative else {
            let rounded = roundedRight.reserve(k * n)
            bf16_round(b, k * n, rounded)
            // The same buffer setLeft rounded `a` into: reserving no more than it did.
            let roundedA = roundedLeft.reserve(k * m)
            MatrixMultiply.gemm(transposeA: true, m: m, n: n, k: k, a: roundedA, b: rounded, beta: 1, c: c)
            return
        }
        let tileWidth = bf16_gemm_tile_columns()
        reserve(&rightPairs, &rightCapacity, count: bf16_gemm_packed_count(k, n))
        Self.pack(b, rows: k, columns: n, block: tileWidth, into: rightPairs)
        let (left, right) = (leftPairs, rightPairs)
        let tiles = (n + tileWidth - 1) / tileWidth
        // A product too small to repay waking a thread runs on this one.
        let threads = m * n * k < 1 << 18 || !OptimisedPaths.enabled ? 1 : min(ComputeThreads.forNextJob, tiles)
        ComputeThreads.forEach(parts: threads) { part in
            let first = tiles * part / threads
            bf16_gemm_multiply_packed(m, n, k, left, right, 1, c, n, first, tiles * (part + 1) / threads - first)
        }
    }

    /// `bf16_pack_columns` of `s` `[rows, columns]`, its pairs of rows split between threads.
    private static func pack(
        _ s: UnsafePointer<Float>, rows: Int, columns: Int, block: Int, into out: UnsafeMutablePointer<UInt32>
    ) {
        let pairs = (rows + 1) / 2
        let threads = rows * columns < 1 << 16 || !OptimisedPaths.enabled ? 1 : min(ComputeThreads.forNextJob, pairs)
        ComputeThreads.forEach(parts: threads) { part in
            let first = pairs * part / threads
            bf16_pack_columns(s, rows, columns, columns, block, first, pairs * (part + 1) / threads - first, out)
        }
    }

    private func reserve(_ buffer: inout UnsafeMutablePointer<UInt32>, _ capacity: inout Int, count: Int) {
        guard capacity < count else { return }
        buffer.deallocate()
        buffer = .allocate(capacity: count)
        capacity = count
    }

    /// The left operand's shape `[k, m]`.
    private var k = 0
    private var m = 0
    private var leftPairs = UnsafeMutablePointer<UInt32>.allocate(capacity: 0)
    private var leftCapacity = 0
    private var rightPairs = UnsafeMutablePointer<UInt32>.allocate(capacity: 0)
    private var rightCapacity = 0
    /// The Float32 route's rounded operands.
    private var roundedLeft = Workspace()
    private var roundedRight = Workspace()
}
