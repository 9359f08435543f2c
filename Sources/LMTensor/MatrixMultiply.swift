import COpenBLAS

/// Row-major matrix products through OpenBLAS.
///
/// `C[m, n] = alpha · op(A) · op(B) + beta · C`, where `op(A)` is `[m, k]` (A stored
/// `[m, k]`, or `[k, m]` when `transposeA`) and `op(B)` is `[k, n]` (B stored `[k, n]`, or
/// `[n, k]` when `transposeB`). Leading dimensions are the stored row lengths.
public enum MatrixMultiply {
    public static func gemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        guard m > 0 && n > 0 else { return }
        guard k > 0 else {
            scaleRows(c, m: m, n: n, ldc: ldc ?? n, by: beta)
            return
        }
        if m == 1 {
            // A single row (batch-1 generation): a matrix-vector product, which reads B once
            // where sgemm would first copy ("pack") all of it.
            let x = transposeA ? (a, Int32(lda ?? 1)) : (a, Int32(1))
            if transposeB {  // c[n] = B[n, k] · x
                cblas_sgemv(
                    CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb ?? k), x.0, x.1, beta, c, 1)
            } else {  // c[n] = B[k, n]ᵀ · x
                cblas_sgemv(
                    CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb ?? n), x.0, x.1, beta, c, 1)
            }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(lda ?? (transposeA ? m : k)),
            b, Int32(ldb ?? (transposeB ? k : n)),
            beta, c, Int32(ldc ?? n))
    }

    /// The same product computed naively in Float64: the reference for tests.
    public static func reference(
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
