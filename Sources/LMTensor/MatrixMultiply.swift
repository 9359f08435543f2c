import CCPU
import CMatrixProducts
import COpenBLAS

/// Row-major matrix products through OpenBLAS, or through lmtool's own blocked kernel
/// where OpenBLAS would run narrower vectors than the CPU has (see ``Engine``).
///
/// `C[m, n] = alpha · op(A) · op(B) + beta · C`, where `op(A)` is `[m, k]` (A stored
/// `[m, k]`, or `[k, m]` when `transposeA`) and `op(B)` is `[k, n]` (B stored `[k, n]`, or
/// `[n, k]` when `transposeB`). Leading dimensions are the stored row lengths.
///
/// Products run single-threaded (see ``ComputeThreads``); a large product is cut into
/// one block of C's rows or columns (whichever dimension is longer) per thread, each
/// block its own call.
package enum MatrixMultiply {
    /// What computes products of two or more rows (a single row is always OpenBLAS's
    /// matrix-vector product).
    package enum Engine: Equatable, Sendable, CustomStringConvertible {
        case openBLAS
        /// `CMatrixProducts`' cache-blocked kernel (`blocked_gemm`) on these vectors.
        case blocked(PackedMatrix.InstructionSet)

        /// OpenBLAS, unless its kernel (``BLASKernel/current``) uses narrower vectors than
        /// the CPU's AVX-512 — a kernel set through `OPENBLAS_CORETYPE`, or the SSE3
        /// fallback OpenBLAS picks on CPUs it does not know. There the blocked kernel is
        /// faster (on a Zen 5 core, 200-245 GFLOP/s on the model shapes against 125 for
        /// OpenBLAS's `Haswell` kernel and 235-255 for its `Cooperlake`).
        package static var preferred: Engine {
            let cpu = PackedMatrix.InstructionSet.best
            return cpu == .avx512 && !BLASKernel.usesAVX512(BLASKernel.current) ? .blocked(cpu) : .openBLAS
        }

        package var description: String {
            switch self {
            case .openBLAS: "OpenBLAS \(BLASKernel.current)"
            case .blocked(let instructionSet): "lmtool blocked kernel, \(instructionSet)"
            }
        }
    }

    /// The engine products use unless told otherwise; ``OptimisedPaths/enabled`` off
    /// always uses OpenBLAS.
    package static let engine = Engine.preferred

    package static func gemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil, engine: Engine = engine
    ) {
        guard m > 0 && n > 0 else { return }
        let (lda, ldb, ldc) = (lda ?? (transposeA ? m : k), ldb ?? (transposeB ? k : n), ldc ?? n)
        let longest = max(m, n)
        let parts = m * n * k < 1 << 17 ? 1 : min(ComputeThreads.forNextJob, (longest + 15) / 16)
        guard parts > 1 else {
            serialGEMM(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, engine: engine)
            return
        }
        // Block edges at multiples of 16 floats (64 bytes): no two threads share a cache
        // line of C.
        ComputeThreads.forEach(parts: parts) { part in
            let block = ComputeThreads.alignedRange(part, of: parts, count: longest)
            let (first, end) = (block.lowerBound, block.upperBound)
            if n >= m {  // columns [first, end) of B and C
                serialGEMM(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: end - first, k: k, alpha: alpha,
                    a: a, lda: lda, b: b + (transposeB ? first * ldb : first), ldb: ldb,
                    beta: beta, c: c + first, ldc: ldc, engine: engine)
            } else {  // rows [first, end) of A and C
                serialGEMM(
                    transposeA: transposeA, transposeB: transposeB, m: end - first, n: n, k: k, alpha: alpha,
                    a: a + (transposeA ? first : first * lda), lda: lda, b: b, ldb: ldb,
                    beta: beta, c: c + first * ldc, ldc: ldc, engine: engine)
            }
        }
    }

    /// One block on this thread: a blocked-kernel call, or OpenBLAS calls.
    private static func serialGEMM(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, engine: Engine
    ) {
        guard k > 0 else {
            scaleRows(c, m: m, n: n, ldc: ldc, by: beta)
            return
        }
        if m > 1, OptimisedPaths.enabled, case .blocked(let instructionSet) = engine {
            blocked_gemm(
                ccpu_isa(rawValue: UInt32(instructionSet.rawValue)), m, n, k, alpha,
                a, transposeA ? 1 : lda, transposeA ? lda : 1, b, transposeB ? 1 : ldb, transposeB ? ldb : 1,
                beta, c, ldc)
            return
        }
        if m == 1 {
            // A single row (batch-1 generation): a matrix-vector product, which reads B once
            // where sgemm would first copy ("pack") all of it.
            let x = transposeA ? (a, Int32(lda)) : (a, Int32(1))
            if transposeB {  // c[n] = B[n, k] · x
                cblas_sgemv(
                    CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb), x.0, x.1, beta, c, 1)
            } else {  // c[n] = B[k, n]ᵀ · x
                cblas_sgemv(
                    CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb), x.0, x.1, beta, c, 1)
            }
            return
        }
        // Row slices: OpenBLAS copies all of op(A) it is given into its own buffer, memory
        // it keeps (9 MB per thread for a V=33,278 decoder's weight gradient in one call).
        for first in stride(from: 0, to: m, by: openBLASRowSlice) {
            let rows = min(openBLASRowSlice, m - first)
            cblas_sgemm(
                CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(rows), Int32(n), Int32(k), alpha, a + (transposeA ? first : first * lda), Int32(lda), b,
                Int32(ldb), beta, c + first * ldc, Int32(ldc))
        }
    }

    /// Most rows of C handed to OpenBLAS in one call.
    static let openBLASRowSlice = 2048

    /// The same product computed naively in Float64: the reference for tests.
    package static func reference(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: [Float], b: [Float], beta: Float = 0, c: inout [Float]
    ) {
        for row in 0..<m {
            for column in 0..<n {
                var sum = 0.0
                for inner in 0..<k {
                    let left = transposeA ? a[inner * m + row] : a[row * k + inner]
                    let right = transposeB ? b[column * k + inner] : b[inner * n + column]
                    sum += Double(left) * Double(right)
                }
                let previous = beta == 0 ? 0 : Double(beta) * Double(c[row * n + column])
                c[row * n + column] = Float(Double(alpha) * sum + previous)
            }
        }
    }

    private static func scaleRows(_ c: UnsafeMutablePointer<Float>, m: Int, n: Int, ldc: Int, by beta: Float) {
        for row in 0..<m {
            for column in 0..<n { c[row * ldc + column] = beta == 0 ? 0 : beta * c[row * ldc + column] }
        }
    }
}
