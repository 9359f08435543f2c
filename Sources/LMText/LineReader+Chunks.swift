import Foundation

extension LineReader {
    /// A text's bytes in consecutive parts of at least `size` bytes (the last: what is
    /// left), each cut just after a line end (LF, or a CR not followed by LF), so that
    /// each holds whole lines and can be decoded and tokenized on its own
    /// (``LineReader/forEachLine(in:startingAt:_:)``). The cuts depend on the text and
    /// `size` alone. A line longer than `size` makes its part longer.
    package struct Chunks {
        private let handle: FileHandle
        private let path: String
        private let size: Int
        /// Bytes read but not yet handed out, from byte `offset` of the text.
        private var pending: [UInt8] = []
        private var offset = 0
        private var ended = false

        init(handle: FileHandle, path: String, size: Int) {
            self.handle = handle
            self.path = path
            self.size = size
        }

        /// Puts the next part in `part` (reusing its storage) and returns the byte offset
        /// of its first byte; nil at the end.
        package mutating func next(into part: inout [UInt8]) throws -> Int? {
            while true {
                while pending.count < size && !ended { try read(size - pending.count) }
                if ended {
                    guard !pending.isEmpty else { return nil }
                    return take(pending.count, into: &part)
                }
                if let cut = lastCut() { return take(cut, into: &part) }
                try read(size)
            }
        }

        /// Bytes up to the last line end whose line end is certain: an LF, or a CR that
        /// is not the last byte read and not followed by an LF.
        private func lastCut() -> Int? {
            var index = pending.count - 1
            while index >= 0 {
                if pending[index] == 0x0A { return index + 1 }
                if pending[index] == 0x0D && index + 1 < pending.count { return index + 1 }
                index -= 1
            }
            return nil
        }

        private mutating func take(_ count: Int, into part: inout [UInt8]) -> Int {
            part.removeAll(keepingCapacity: true)
            part.append(contentsOf: pending[..<count])
            pending.removeFirst(count)
            defer { offset += count }
            return offset
        }

        /// Reads up to `count` bytes onto the end of `pending`, into its own storage.
        private mutating func read(_ count: Int) throws {
            let start = pending.count
            pending.append(contentsOf: repeatElement(0, count: count))
            var got: Int
            repeat {
                got = pending.withUnsafeMutableBytes { Glibc.read(handle.fileDescriptor, $0.baseAddress! + start, count) }
            } while got < 0 && errno == EINTR
            guard got >= 0 else { throw CorpusError.unreadable(path: path, reason: String(cString: strerror(errno))) }
            pending.removeLast(count - got)
            if got == 0 { ended = true }
        }
    }

    /// The text in parts of at least `size` bytes cut at line ends.
    /// - Throws: ``CorpusError`` (missing, directory, unreadable).
    package func chunks(size: Int) throws -> Chunks {
        Chunks(handle: try open(), path: path, size: size)
    }
}
