import CElementwiseKernels
import CMatrixProducts

/// A `[rows, columns]` weight matrix stored as bfloat16, for products whose operands are
/// both rounded to bfloat16 and summed in Float32 (`lmtool --bf16`).
///
/// - One input row (batch-1 generation): every product reads the whole weight once per
///   token, so the time goes to memory traffic, which halves with 2-byte weights
///   (`CMatrixProducts`' `bf16_gemv`, each weight widened to Float32 exactly).
/// - Several rows (evaluation, batched steps): with AVX512_BF16 the weight is packed once
///   into column tiles of pairs and each product runs the pair dot product (`bf16_gemm`),
///   twice the multiplications per instruction of a Float32 FMA; without it, the rounded
///   inputs meet a Float32 copy of the rounded weights in an ordinary product.
///
/// Either way a product is `round(x) · round(W)ᵀ` summed in Float32, so the paths agree up
/// to summation order, and evaluation measures what generation runs.
package final class BFloat16Matrix {
    package let rows: Int
    package let columns: Int
    private let storage: UnsafeMutablePointer<UInt16>
    private let instructionSet: PackedMatrix.InstructionSet
    /// Whether products of several rows run on AVX512_BF16 (else on ``widened``).
    private let pairsNative: Bool

    /// The bfloat16 copy of `matrix` `[rows, columns]` (rounded to nearest, ties to even),
    /// or of its transpose when `transposed` (`matrix` then `[columns, rows]`). Products of
    /// several rows take the pair dot product when `pairProducts`, the instruction set is
    /// AVX-512 and the CPU has AVX512_BF16; else the Float32 route. Not for products on
    /// several threads at once (each call uses the matrix's scratch space).
    package init(
        _ matrix: UnsafePointer<Float>, rows: Int, columns: Int, transposed: Bool = false,
        instructionSet: PackedMatrix.InstructionSet = .best, pairProducts: Bool = true
    ) {
        self.rows = rows
        self.columns = columns
        self.instructionSet = instructionSet
        pairsNative = pairProducts && instructionSet == .avx512 && bf16_gemm_supported() != 0
        storage = .allocate(capacity: max(rows * columns, 1))
        assign(matrix, transposed: transposed)
    }

    /// Overwrites the copy with `matrix` (as ``init(_:rows:columns:transposed:instructionSet:pairProducts:)``
    /// reads it), keeping its memory: for a weight that changes between windows
    /// (`lmtool train --bf16`). The packed tiles are remade by the next product that needs them.
    package func assign(_ matrix: UnsafePointer<Float>, transposed: Bool = false) {
        // Split by rows of the copy (columns of a transposed source) between threads.
        let (rows, columns, storage) = (rows, columns, storage)
        let threads = rows * columns < 1 << 16 || !OptimisedPaths.enabled ? 1 : min(ComputeThreads.forNextJob, rows)
        ComputeThreads.forEach(parts: threads) { part in
            let (first, end) = (rows * part / threads, rows * (part + 1) / threads)
            if transposed {
                bf16_from_float_transposed(matrix + first, columns, end - first, rows, storage + first * columns)
            } else {
                bf16_from_float(matrix + first * columns, (end - first) * columns, storage + first * columns)
            }
        }
        tilesCurrent = false
        widenedCurrent = false
    }

    deinit {
        storage.deallocate()
        packedTiles?.deallocate()
        inputPairs.deallocate()
    }

    /// Rounds every value of `values` to the nearest bfloat16, in place.
    package static func round(_ values: UnsafeMutableBufferPointer<Float>) {
        guard let base = values.baseAddress else { return }
        bf16_round(base, values.count, base)
    }

    /// `y [rows] = W · round(x) [columns] + beta · y`; `beta` = 0 ignores `y`'s old contents.
    /// Large products split their rows between ``ComputeThreads/forNextJob`` threads.
    package func multiply(_ x: UnsafePointer<Float>, beta: Float = 0, into y: UnsafeMutablePointer<Float>) {
        let rounded = roundedInput.reserve(columns)
        bf16_round(x, columns, rounded)
        let (rows, columns, storage, isa) = (rows, columns, storage, instructionSet.cValue)
        // Row blocks of 64 keep each thread's outputs on cache lines of their own.
        let blocks = (rows + 63) / 64
        let parts = rows * columns < 1 << 16 || !OptimisedPaths.enabled ? 1 : min(ComputeThreads.forNextJob, blocks)
        ComputeThreads.forEach(parts: parts) { part in
            let first = min(rows, blocks * part / parts * 64)
            let end = min(rows, blocks * (part + 1) / parts * 64)
            bf16_gemv(isa, end - first, columns, storage + first * columns, columns, rounded, beta, y + first)
        }
    }

    /// `c [m, rows] = round(a) [m, columns] · Wᵀ + beta · c`; `a` and `c` row-major with row
    /// lengths `lda` (default `columns`) and `ldc` (default `rows`). One row is
    /// ``multiply(_:beta:into:)``.
    package func multiply(
        _ a: UnsafePointer<Float>, rows m: Int, lda: Int? = nil, beta: Float, into c: UnsafeMutablePointer<Float>,
        ldc: Int? = nil
    ) {
        let (lda, ldc) = (lda ?? columns, ldc ?? rows)
        guard m > 1 else {
            if m == 1 { multiply(a, beta: beta, into: c) }
            return
        }
        guard pairsNative else {
            let rounded = roundedInput.reserve(m * columns)
            for row in 0..<m { bf16_round(a + row * lda, columns, rounded + row * columns) }
            MatrixMultiply.gemm(
                transposeB: true, m: m, n: rows, k: columns, a: rounded, b: widened(), beta: beta, c: c, ldc: ldc)
            return
        }
        let packed = tilesCurrent ? packedTiles! : pack()
        let count = bf16_packed_rows_count(m, columns)
        if inputPairCapacity < count {
            inputPairs.deallocate()
            inputPairCapacity = count
            inputPairs = .allocate(capacity: inputPairCapacity)
        }
        let (n, k, input) = (rows, columns, inputPairs)
        // Whole strips of 12 rows per thread: each thread's rows land in strips of their own.
        let strips = (m + 11) / 12
        let packers = m * k < 1 << 16 || !OptimisedPaths.enabled ? 1 : min(ComputeThreads.forNextJob, strips)
        ComputeThreads.forEach(parts: packers) { part in
            let (first, end) = (strips * part / packers * 12, min(m, strips * (part + 1) / packers * 12))
            bf16_pack_rows(a + first * lda, end - first, k, lda, input + first * bf16_pair_count(k))
        }
        let tiles = (n + bf16_gemm_tile_columns() - 1) / bf16_gemm_tile_columns()
        // A product too small to repay waking a thread runs on this one.
        let threads = m * n * k < 1 << 18 || !OptimisedPaths.enabled ? 1 : min(ComputeThreads.forNextJob, tiles)
        ComputeThreads.forEach(parts: threads) { part in
            let first = tiles * part / threads
            bf16_gemm_multiply_packed(m, n, k, input, packed, beta, c, ldc, first, tiles * (part + 1) / threads - first)
        }
    }

    /// Where ``multiply(_:beta:into:)`` and the Float32 route round their inputs.
    private var roundedInput = Workspace()
    /// The weight in pair tiles (`bf16_gemm_pack`), made by the first product of several rows
    /// after each ``assign(_:transposed:)``.
    private var packedTiles: UnsafeMutablePointer<UInt32>?
    private var tilesCurrent = false
    /// A product's input rows as pairs, in strips of 12 rows (`bf16_pack_rows`).
    private var inputPairs = UnsafeMutablePointer<UInt32>.allocate(capacity: 0)
    private var inputPairCapacity = 0

    private func pack() -> UnsafeMutablePointer<UInt32> {
        let (n, k, storage) = (rows, columns, storage)
        let packed = packedTiles ?? .allocate(capacity: max(bf16_gemm_packed_count(k, n), 1))
        let tiles = (n + bf16_gemm_tile_columns() - 1) / bf16_gemm_tile_columns()
        let threads = min(ComputeThreads.forNextJob, tiles)
        ComputeThreads.forEach(parts: threads) { part in
            let first = tiles * part / threads
            bf16_gemm_pack(storage, k, n, k, packed, first, tiles * (part + 1) / threads - first)
        }
        packedTiles = packed
        tilesCurrent = true
        return packed
    }

    /// The rounded weight in Float32, for products of several rows without AVX512_BF16.
    private func widened() -> UnsafePointer<Float> {
        let matrix = widenedCopy ?? Tensor(shape: [rows, columns])
        if !widenedCurrent { bf16_to_float(storage, rows * columns, matrix.pointer) }
        widenedCopy = matrix
        widenedCurrent = true
        return UnsafePointer(matrix.pointer)
    }
    private var widenedCopy: Tensor?
    private var widenedCurrent = false
}
