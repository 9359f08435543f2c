/// A Float32 tensor: contiguous row-major storage and a shape.
///
/// `Tensor` is a reference type: layers, optimizers and workspaces update it in place
/// without copies, and a `Parameter`'s value is shared by every layer that uses it (tied
/// weights). Use ``copy()`` for an independent tensor.
public final class Tensor {
    public let shape: [Int]
    public let count: Int
    /// The elements, row-major; valid for the tensor's lifetime.
    package let pointer: UnsafeMutablePointer<Float>
    /// Whether the tensor allocated ``pointer`` (and releases it), or borrows it.
    private let ownsStorage: Bool

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "tensor dimensions must not be negative")
        self.shape = shape
        count = shape.reduce(1, *)
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
        ownsStorage = true
    }

    /// A tensor of `shape` over `storage`, as it holds it: memory its owner keeps valid for
    /// the tensor's lifetime and releases itself (memory shared between processes, say).
    package init(shape: [Int], borrowing storage: UnsafeMutablePointer<Float>) {
        precondition(shape.allSatisfy { $0 >= 0 }, "tensor dimensions must not be negative")
        self.shape = shape
        count = shape.reduce(1, *)
        pointer = storage
        ownsStorage = false
    }

    /// A tensor of `shape` holding `values` (row-major).
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "\(values.count) values do not fill shape \(shape)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }

    deinit { if ownsStorage { pointer.deallocate() } }

    package var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// The elements as an array (a copy).
    public var values: [Float] { Array(buffer) }

    public subscript(index: Int) -> Float {
        get { buffer[index] }
        set { buffer[index] = newValue }
    }

    package func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(buffer))
    }

    package func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(buffer)
    }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// Overwrites the elements with `values`, which must have ``count`` elements.
    public func assign(_ values: [Float]) {
        precondition(values.count == count, "\(values.count) values for a tensor of \(count)")
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }

    /// An independent tensor with the same shape and elements.
    public func copy() -> Tensor {
        let copy = Tensor(shape: shape)
        copy.pointer.update(from: pointer, count: count)
        return copy
    }
}
