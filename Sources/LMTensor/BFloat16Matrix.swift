import CPackedGEMM

/// A `[rows, columns]` weight matrix stored as bfloat16 for matrix-vector products: at
/// batch 1 (generation) every product reads the whole weight once per token and the
/// time goes to memory traffic, which halves with 2-byte weights. Each weight widens to
/// Float32 exactly and products sum in Float32 (`CPackedGEMM`'s `bf16_gemv`), so a product
/// equals the Float32 product with ``rounded(_:)`` weights up to summation order.
public final class BFloat16Matrix {
    public let rows: Int
    public let columns: Int
    private let storage: UnsafeMutablePointer<UInt16>
    private let instructionSet: PackedMatrix.InstructionSet

    /// The bfloat16 copy of `matrix` `[rows, columns]` (rounded to nearest, ties to even).
    public init(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, instructionSet: PackedMatrix.InstructionSet = .best) {
        self.rows = rows
        self.columns = columns
        self.instructionSet = instructionSet
        storage = .allocate(capacity: max(rows * columns, 1))
        bf16_from_float(matrix, rows * columns, storage)
    }

    deinit { storage.deallocate() }

    /// Rounds every value of `values` to the nearest bfloat16, in place.
    public static func round(_ values: UnsafeMutableBufferPointer<Float>) {
        guard let base = values.baseAddress else { return }
        let half = UnsafeMutablePointer<UInt16>.allocate(capacity: values.count)
        defer { half.deallocate() }
        bf16_from_float(base, values.count, half)
        bf16_to_float(half, values.count, base)
    }

    /// `y [rows] = W · x [columns] + beta · y`; `beta` = 0 ignores `y`'s old contents.
    /// Large products split their rows between ``ComputeThreads/count`` threads.
    public func multiply(_ x: UnsafePointer<Float>, beta: Float = 0, into y: UnsafeMutablePointer<Float>) {
        let (rows, columns, storage, isa) = (rows, columns, storage, packed_gemm_isa(rawValue: UInt32(instructionSet.rawValue)))
        // Row blocks of 64 keep each thread's outputs on cache lines of their own.
        let blocks = (rows + 63) / 64
        let parts = rows * columns < 1 << 16 || !OptimisedPaths.enabled ? 1 : min(ComputeThreads.count, blocks)
        ComputeThreads.forEach(parts: parts) { part in
            let first = min(rows, blocks * part / parts * 64)
            let end = min(rows, blocks * (part + 1) / parts * 64)
            bf16_gemv(isa, end - first, columns, storage + first * columns, columns, x, beta, y + first)
        }
    }
}
