import LMTensor

/// `gradient [m, n] += dYᵀ X` for `dY` `[k, m]` and `X` `[k, n]` (row-major, row lengths
/// `m` and `n`): the weight-gradient product of a window's `k` rows. In bfloat16 through
/// `mixed` when given (mixed-precision training), packing `dY` first unless `dYPacked`
/// (the previous call through `mixed` packed this same `dY`); in Float32 otherwise.
func addWeightGradient(
    _ dY: UnsafePointer<Float>, rows k: Int, columns m: Int, times x: UnsafePointer<Float>, columns n: Int,
    into gradient: UnsafeMutablePointer<Float>, mixed: BFloat16GradientProduct?, dYPacked: Bool = false
) {
    guard let mixed else {
        MatrixMultiply.gemm(transposeA: true, m: m, n: n, k: k, a: dY, b: x, beta: 1, c: gradient)
        return
    }
    if !dYPacked { mixed.setLeft(dY, rows: k, columns: m) }
    mixed.accumulate(x, columns: n, into: gradient)
}
