import LMNetwork

/// Clips gradients by their global L2 norm over all parameters, as in the lecture notes:
/// when `‖g‖ ≥ maxNorm`, every gradient is scaled by `maxNorm / ‖g‖`. (PyTorch's
/// `clip_grad_norm_` divides by `‖g‖ + 1e-6`; the difference is below Float32 rounding for
/// any norm that matters.) The norm is accumulated in Float64
/// (`VectorOperations.sumOfSquares`).
///
/// - Returns: the norm before clipping (infinite or NaN when a gradient is).
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    var sumOfSquares = 0.0
    for parameter in parameters {
        sumOfSquares += parameter.gradientSumOfSquares()
    }
    let norm = Float(sumOfSquares.squareRoot())
    if norm >= maxNorm && norm.isFinite && norm > 0 {
        let scale = maxNorm / norm
        for parameter in parameters { parameter.scaleGradient(by: scale) }
    }
    return norm
}
