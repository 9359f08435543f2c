/// A reusable scratch buffer that grows to the largest size asked of it and is never
/// shrunk, so per-window and per-step code allocates nothing once shapes have been seen.
package struct Workspace {
    private var storage: Tensor?

    package init() {}

    /// A buffer of at least `count` elements; contents are unspecified.
    package mutating func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if let storage, storage.count >= count { return storage.pointer }
        let grown = Tensor(shape: [count])
        storage = grown
        return grown.pointer
    }

    /// A buffer of at least `count` elements, the first `count` set to zero.
    package mutating func reserveZeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let pointer = reserve(count)
        pointer.update(repeating: 0, count: count)
        return pointer
    }
}
