import LMTensor

/// A trainable tensor with its gradient, named as in PyTorch's `state_dict`
/// (`rnn.weight_ih_l0`, ...). Backward passes add into the gradient;
/// `LanguageModel.zeroGradients()` clears it.
///
/// The gradient is dense `gradient` `[same shape]`, or, for an embedding table made
/// with `rowSparseGradient`, `rowGradient`: only the rows a window touched. Code that
/// treats every parameter alike (clipping, optimizers) goes through ``zeroGradient()``,
/// ``gradientSumOfSquares()`` and `forEachGradientSegment(includingUntouchedRows:_:)`.
public final class Parameter {
    public let name: String
    /// The weights; shared with the model it follows for a shard's copy of a model
    /// (``share(valueOf:)``).
    public private(set) var value: Tensor
    /// The row-sparse gradient of an embedding table, else nil.
    package let rowGradient: RowSparseGradient?

    /// The dense gradient. Allocated on first use, so a model that only runs (generation,
    /// evaluation) holds no gradient memory. Not available with a row-sparse gradient.
    package var gradient: Tensor {
        precondition(rowGradient == nil, "\(name) has a row-sparse gradient")
        if let allocatedGradient { return allocatedGradient }
        let gradient = Tensor(shape: value.shape)
        allocatedGradient = gradient
        return gradient
    }
    private var allocatedGradient: Tensor?

    public var shape: [Int] { value.shape }

    /// The bfloat16 copy of a weight matrix `W [rows, columns]` (the first dimension as
    /// rows) that the forward products run on, made by ``reduceToBFloat16()`` or
    /// `copyToBFloat16()`; nil otherwise.
    package private(set) var bfloat16: BFloat16Matrix?
    /// The bfloat16 copy of `Wᵀ` that the backward pass's products `dY · W` run on, made by
    /// `copyToBFloat16()`; nil otherwise.
    package private(set) var bfloat16Transposed: BFloat16Matrix?

    /// Rounds the value to bfloat16 in place and keeps a bfloat16 copy of it. For inference:
    /// a later change to the value leaves the copy stale.
    package func reduceToBFloat16() {
        value.withUnsafeMutableBufferPointer(BFloat16Matrix.round)
        bfloat16 = BFloat16Matrix(value.pointer, rows: shape[0], columns: value.count / max(shape[0], 1))
        bfloat16Transposed = nil  // a training copy of the old value's transpose would be stale
    }

    /// Makes (or remakes, in the same memory) the bfloat16 copies of the value and of its
    /// transpose, leaving the value itself in Float32: for training with products in
    /// bfloat16, where the optimizer updates the Float32 value after every window.
    package func copyToBFloat16() {
        let (rows, columns) = (shape[0], value.count / max(shape[0], 1))
        if let bfloat16, let bfloat16Transposed {
            bfloat16.assign(value.pointer)
            bfloat16Transposed.assign(value.pointer, transposed: true)
        } else {
            bfloat16 = BFloat16Matrix(value.pointer, rows: rows, columns: columns)
            bfloat16Transposed = BFloat16Matrix(value.pointer, rows: columns, columns: rows, transposed: true)
        }
    }

    /// `output [N, W's rows] = input [N, W's columns] · Wᵀ + beta · output`: a weight's
    /// forward product, on the bfloat16 copy when there is one.
    func multiplyTransposed(
        _ input: UnsafePointer<Float>, rows: Int, beta: Float, into output: UnsafeMutablePointer<Float>
    ) {
        if let bfloat16 {
            bfloat16.multiply(input, rows: rows, beta: beta, into: output)
            return
        }
        MatrixMultiply.gemm(
            transposeB: true, m: rows, n: shape[0], k: value.count / max(shape[0], 1),
            a: input, b: value.pointer, beta: beta, c: output)
    }

    /// `output [N, W's columns] = input [N, W's rows] · W + beta · output`: a weight's
    /// backward product `dY · W`, on the bfloat16 copy of `Wᵀ` when there is one.
    func multiply(_ input: UnsafePointer<Float>, rows: Int, beta: Float, into output: UnsafeMutablePointer<Float>) {
        if let bfloat16Transposed {
            bfloat16Transposed.multiply(input, rows: rows, beta: beta, into: output)
            return
        }
        MatrixMultiply.gemm(
            m: rows, n: value.count / max(shape[0], 1), k: shape[0], a: input, b: value.pointer, beta: beta, c: output)
    }

    /// Reads `other`'s value from now on, in place of its own (which is released); the
    /// gradient and the bfloat16 copies stay this parameter's own (a copy keeps buffers
    /// that its products write, so two threads cannot share one).
    package func share(valueOf other: Parameter) {
        precondition(other.shape == shape, "\(name) \(shape) cannot share the value of \(other.name) \(other.shape)")
        value = other.value
    }

    /// Keeps the dense gradient in `storage` (as many floats as the value) from now on, its
    /// values carried over: memory the processes of a data-parallel run share, for instance,
    /// which the caller keeps valid for the parameter's lifetime.
    package func placeGradient(in storage: UnsafeMutablePointer<Float>) {
        let placed = Tensor(shape: value.shape, borrowing: storage)
        if let allocatedGradient {
            placed.pointer.update(from: allocatedGradient.pointer, count: placed.count)
        } else {
            placed.zero()
        }
        allocatedGradient = placed
    }

    /// Drops both bfloat16 copies: products run on the Float32 value again.
    package func dropBFloat16Copies() {
        bfloat16 = nil
        bfloat16Transposed = nil
    }

    /// - Parameter rowSparseGradient: keep the gradient of a `[V, E]` table as touched rows.
    package init(name: String, shape: [Int], rowSparseGradient: Bool = false) {
        precondition(!rowSparseGradient || shape.count == 2, "a row-sparse gradient needs a [rows, columns] shape")
        self.name = name
        value = Tensor(shape: shape)
        rowGradient = rowSparseGradient ? RowSparseGradient(rowCount: shape[0], rowWidth: shape[1]) : nil
    }

    /// Fills the value uniformly from [lower, upper), in element order.
    func initializeUniform(_ lower: Float, _ upper: Float, generator: inout RandomGenerator) {
        for index in 0..<value.count { value[index] = generator.nextUniform(in: lower, upper) }
    }

    public func zeroGradient() {
        if let rowGradient { rowGradient.zero() } else { VectorOperations.zero(gradient.pointer, count: gradient.count) }
    }

    /// `Σ g²` over the whole gradient, in Float64.
    public func gradientSumOfSquares() -> Double {
        if let rowGradient { return VectorOperations.sumOfSquares(UnsafeBufferPointer(rowGradient.storedValues)) }
        return gradient.withUnsafeBufferPointer(VectorOperations.sumOfSquares)
    }

    /// The whole gradient as an array, zeros of untouched rows included.
    public var gradientValues: [Float] { rowGradient?.denseValues ?? gradient.values }

    /// Calls `body(offset, count, gradient)` over pieces of the gradient, where
    /// `gradient[0..<count]` is the gradient of `value[offset..<offset + count]`: once
    /// with everything for a dense gradient; once per touched row for a row-sparse one,
    /// and, with `includingUntouchedRows`, also once per untouched row with zeros (for
    /// updates that change a weight without gradient: weight decay, Adam's moments).
    package func forEachGradientSegment(
        includingUntouchedRows: Bool, _ body: (_ offset: Int, _ count: Int, _ gradient: UnsafePointer<Float>) -> Void
    ) {
        guard let rowGradient else {
            body(0, value.count, UnsafePointer(gradient.pointer))
            return
        }
        let width = rowGradient.rowWidth
        if includingUntouchedRows {
            for row in 0..<rowGradient.rowCount { body(row * width, width, rowGradient.row(row)) }
        } else {
            for row in rowGradient.rows { body(Int(row) * width, width, rowGradient.row(Int(row))) }
        }
    }
}
