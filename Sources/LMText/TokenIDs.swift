import Foundation

#if _endian(big)
    #error("token id files are little-endian Int32s, read in place")
#endif

/// `[N]` token ids in one contiguous, read-only block: copied from an array, or mapped
/// from a file (``init(mappingFile:offset:count:)``), so a corpus larger than memory is
/// paged in as it is read. Slices share the block; the block lives as long as any of them.
public struct TokenIDs: RandomAccessCollection, @unchecked Sendable {
    /// Keeps the block alive; the mapping or allocation goes when the last slice does.
    private final class Block {
        let base: UnsafeRawPointer
        /// Bytes the block spans (the whole mapping for a file).
        let length: Int
        let mapped: Bool

        init(base: UnsafeRawPointer, length: Int, mapped: Bool) {
            self.base = base
            self.length = length
            self.mapped = mapped
        }

        deinit {
            if mapped {
                munmap(UnsafeMutableRawPointer(mutating: base), length)
            } else {
                base.deallocate()
            }
        }
    }

    private let block: Block
    private let ids: UnsafePointer<Int32>
    public let count: Int

    /// A copy of `ids`.
    public init(_ ids: [Int32]) {
        let copy = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(1, ids.count))
        _ = UnsafeMutableBufferPointer(start: copy, count: ids.count).initialize(from: ids)
        block = Block(base: UnsafeRawPointer(copy), length: ids.count * 4, mapped: false)
        self.ids = UnsafePointer(copy)
        count = ids.count
    }

    /// The `count` ids at byte `offset` (a multiple of 4) of the file at `path`, mapped
    /// read-only. The file must not change while it is mapped: lmtool replaces such files
    /// by renaming a new one over them, which leaves the mapped one intact.
    /// - Throws: ``CorpusError/unreadable(path:reason:)`` when the file cannot be opened
    ///   or mapped.
    public init(mappingFile path: String, offset: Int, count: Int) throws(CorpusError) {
        precondition(offset % 4 == 0 && count >= 0, "ids are aligned Int32s")
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let length = offset + count * 4
        guard let base = mmap(nil, Swift.max(1, length), PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        block = Block(base: UnsafeRawPointer(base), length: Swift.max(1, length), mapped: true)
        ids = UnsafeRawPointer(base + offset).assumingMemoryBound(to: Int32.self)
        self.count = count
    }

    private init(block: Block, ids: UnsafePointer<Int32>, count: Int) {
        self.block = block
        self.ids = ids
        self.count = count
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Int32 {
        precondition(position >= 0 && position < count, "token index out of range")
        return ids[position]
    }

    /// Ids `range` of these, sharing their block (indices start at 0 again).
    public func subrange(_ range: Range<Int>) -> TokenIDs {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "token range out of range")
        return TokenIDs(block: block, ids: ids + range.lowerBound, count: range.count)
    }

    /// Calls `body` with the ids in place: the hot path's access, no copy, no checks.
    public func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<Int32>) throws -> Result) rethrows -> Result {
        try body(UnsafeBufferPointer(start: ids, count: count))
    }

    /// Calls `body` with the ids in order, 4 MB at a time, releasing the pages of a mapped
    /// file after each piece (``releaseReadPages()``): a whole pass that leaves no more of
    /// them resident than training does.
    public func forEachPiece(_ body: (Slice<UnsafeBufferPointer<Int32>>) -> Void) {
        withUnsafeBufferPointer { ids in
            for start in stride(from: 0, to: ids.count, by: 1 << 20) {
                body(ids[start..<Swift.min(start + 1 << 20, ids.count)])
                releaseReadPages()
            }
        }
    }

    /// Lets the kernel take back the pages of a mapped file that reading has brought in
    /// (they are read again from the file, or its page cache, when next touched), so that
    /// a pass over a large corpus leaves resident only what it reads next. Nothing
    /// happens for ids held in memory.
    public func releaseReadPages() {
        guard block.mapped else { return }
        madvise(UnsafeMutableRawPointer(mutating: block.base), block.length, MADV_DONTNEED)
    }
}
