import CCPU
import CElementwiseKernels

/// Vectorised element-wise non-linearities, 16 lanes at a time. The functions over
/// buffers run `CElementwiseKernels`' C kernels on the CPU's widest vectors; the per-vector
/// functions (for code that computes values on the fly, like the samplers) are Swift,
/// which compiles them to 128-bit vectors. Accurate to a few units in the last place of
/// Float32 (tested against Foundation's `exp`/`tanh` to 2e-6 relative or 1e-7 absolute).
package enum Activations {
    package typealias Vector = SIMD16<Float>

    /// `e^x` with Cephes' range reduction and degree-6 polynomial; clamps to avoid
    /// overflow (e^88.7 is Float's limit) and flushes below e^-87.3 to the smallest normal.
    @inline(__always)
    package static func exp(_ x: Vector) -> Vector {
        // `replacing(with:where:)` compiles to vector blends; `clamped` and `pointwiseMin`
        // are generic lane-by-lane loops, 50 times slower here.
        let lower = Vector(repeating: -87.3), upper = Vector(repeating: 88.3)
        let clamped = x.replacing(with: lower, where: x .< lower).replacing(with: upper, where: x .> upper)
        // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits; subtracting
        // it back gives n = round(x / ln 2) without a (slow, generic) Float → Int conversion.
        let magic: Vector = Vector(repeating: 12_582_912)
        let shifted = clamped * 1.442_695_040_888_963_4 + magic
        let n = shifted - magic
        let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Vector = Vector(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * r * r + r + 1
        // The low bits of `shifted` hold n; n + 127 shifted into the exponent field is 2ⁿ.
        let biased = unsafeBitCast(shifted, to: SIMD16<UInt32>.self) &+ 127
        return p * unsafeBitCast(biased &<< 23, to: Vector.self)
    }

    /// `1 / (1 + e^-x)`.
    @inline(__always)
    package static func sigmoid(_ x: Vector) -> Vector { 1 / (1 + exp(-x)) }

    /// `tanh x`: Cephes' odd polynomial below |x| = 0.625 (keeps relative accuracy near
    /// zero), `1 − 2 / (e^{2|x|} + 1)` with the sign restored above.
    @inline(__always)
    package static func tanh(_ x: Vector) -> Vector {
        let magnitude = x.replacing(with: -x, where: x .< 0)
        let z = x * x
        var p: Vector = Vector(repeating: -5.704_988_727_45e-3)
        p = p * z + 2.063_908_879_54e-2
        p = p * z - 5.373_971_555_31e-2
        p = p * z + 1.333_144_220_36e-1
        p = p * z - 3.333_328_194_22e-1
        let small = x + x * z * p
        let large = 1 - 2 / (exp(2 * magnitude) + 1)
        let signedLarge = large.replacing(with: -large, where: x .< 0)
        return small.replacing(with: signedLarge, where: magnitude .>= 0.625)
    }

    /// Applies `function` to `count` elements in place, 16 at a time, the tail padded.
    @inline(__always)
    package static func apply(
        _ values: UnsafeMutablePointer<Float>, count: Int, _ function: (Vector) -> Vector
    ) {
        var index = 0
        while index + 16 <= count {
            let raw = UnsafeMutableRawPointer(values + index)
            raw.storeBytes(of: function(raw.loadUnaligned(as: Vector.self)), as: Vector.self)
            index += 16
        }
        if index < count {
            var tail = Vector(repeating: 0)
            for lane in 0..<(count - index) { tail[lane] = values[index + lane] }
            let result = function(tail)
            for lane in 0..<(count - index) { values[index + lane] = result[lane] }
        }
    }

    /// The C kernels' copy for buffers: the CPU's widest vectors, or the baseline's when
    /// ``OptimisedPaths/enabled`` is off.
    static var kernels: ccpu_isa {
        (OptimisedPaths.enabled ? PackedMatrix.InstructionSet.best : .portable).cValue
    }

    /// In place, through `CElementwiseKernels`' `vector_sigmoid` (the same method as
    /// ``sigmoid(_:)-(Vector)``, at the CPU's full width: Swift's `SIMD16` compiles to
    /// 128-bit vectors).
    package static func sigmoid(_ values: UnsafeMutablePointer<Float>, count: Int) {
        vector_sigmoid(kernels, values, count)
    }

    /// In place, through `vector_tanh`.
    package static func tanh(_ values: UnsafeMutablePointer<Float>, count: Int) {
        vector_tanh(kernels, values, count)
    }

    /// `values ← scale · values`, through `vector_scale`.
    package static func scale(_ values: UnsafeMutablePointer<Float>, count: Int, by scale: Float) {
        vector_scale(kernels, values, count, scale)
    }

    package static func relu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        apply(values, count: count) { $0.replacing(with: 0, where: $0 .< 0) }
    }
}
