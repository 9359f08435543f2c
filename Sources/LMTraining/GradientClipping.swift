import LMNetwork

/// Gradient clipping by the global L2 norm, as in the lecture notes: when `‖g‖ ≥ maxNorm`,
/// every gradient is scaled by `maxNorm / ‖g‖`. The scaling is not applied to the gradients
/// here: the update multiplies them by ``clippingFactor(norm:maxNorm:)`` as it reads them
/// (``Optimizer/step(_:learningRate:gradientScale:)``), which saves a pass over every
/// gradient per update. (PyTorch's `clip_grad_norm_` divides by `‖g‖ + 1e-6`; the
/// difference is below Float32 rounding for any norm that matters.)

/// The global L2 norm of the gradients of `parameters`, each multiplied by `scale` (what a
/// gradient that is a sum becomes as a mean), accumulated in Float64
/// (`VectorOperations.sumOfSquares`): infinite or NaN when a gradient is.
public func gradientNorm(_ parameters: [Parameter], scale: Float = 1) -> Float {
    var sumOfSquares = 0.0
    for parameter in parameters {
        sumOfSquares += parameter.gradientSumOfSquares()
    }
    return Float(sumOfSquares.squareRoot()) * scale
}

/// What clipping to `maxNorm` multiplies gradients of global norm `norm` by:
/// `maxNorm / norm` when `norm ≥ maxNorm`, otherwise (and for a norm that is not finite
/// and positive) 1.
public func clippingFactor(norm: Float, maxNorm: Float) -> Float {
    norm >= maxNorm && norm.isFinite && norm > 0 ? maxNorm / norm : 1
}
