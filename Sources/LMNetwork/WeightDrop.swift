import LMTensor

/// DropConnect on a recurrent weight `W_hh` `[G, H]` (Wan et al. 2013), as AWD-LSTM's
/// weight drop: one mask `M` per window, shared by every step and sequence, so the whole
/// window runs on `W̃ = M ⊙ W / (1 − p)`.
///
/// ``begin(_:generator:)`` writes `W̃` over the weight's value (`W` kept aside): every
/// product of the window — packed once for all steps, unpacked, in bfloat16, in any cell —
/// reads `W̃` with no path of its own. Backward adds `∂L/∂W̃` into the gradient as usual;
/// ``end(_:)`` turns what the window added into `∂L/∂W = M ⊙ ∂L/∂W̃ / (1 − p)` and puts
/// `W` back, before the optimizer sees either.
struct WeightDrop {
    let probability: Float
    /// `[G·H]`: 1 where a weight is kept, 0 where dropped.
    private var mask: [UInt8] = []
    /// `W` while the window runs on `W̃`.
    private var kept: [Float] = []
    /// The gradient before the window's backward pass.
    private var gradientBefore: [Float] = []
    /// Between ``begin(_:generator:)`` and ``end(_:)``.
    private var running = false

    init(probability: Float) { self.probability = probability }

    var isActive: Bool { probability > 0 }

    /// Draws the window's mask (one draw from `generator`, its key) and writes `W̃` over
    /// `weight`'s value.
    mutating func begin(_ weight: Parameter, generator: inout RandomGenerator) {
        guard isActive else { return }
        let count = weight.value.count
        if mask.count != count {
            mask = [UInt8](repeating: 0, count: count)
            kept = [Float](repeating: 0, count: count)
            gradientBefore = [Float](repeating: 0, count: count)
        }
        mask.withUnsafeMutableBufferPointer { mask in
            DropoutMask.fill(mask.baseAddress!, count: count, probability: probability, key: generator.next())
        }
        kept.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: weight.value.pointer, count: count) }
        gradientBefore.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: weight.gradient.pointer, count: count) }
        running = true
        let scale = 1 / (1 - probability)
        let value = weight.value.pointer
        for index in 0..<count { value[index] = mask[index] == 0 ? 0 : kept[index] * scale }
        if weight.bfloat16Transposed != nil { weight.copyToBFloat16() }  // training copies follow the value
    }

    /// Masks the gradient the window added and restores `W`.
    mutating func end(_ weight: Parameter) {
        guard running else { return }
        let scale = 1 / (1 - probability)
        let gradient = weight.gradient.pointer
        for index in 0..<weight.value.count {
            let added = gradient[index] - gradientBefore[index]
            gradient[index] = gradientBefore[index] + (mask[index] == 0 ? 0 : added * scale)
        }
        weight.value.assign(kept)
        if weight.bfloat16Transposed != nil { weight.copyToBFloat16() }
        running = false
    }
}
