import Foundation

/// Streams a UTF-8 text file line by line as UTF-16, in chunks, so memory stays
/// proportional to the longest line rather than to the file. The path `-`
/// (``standardInput``) reads standard input.
///
/// A leading byte-order mark is dropped; LF, CRLF and CR each end a line. Invalid UTF-8
/// and NUL bytes (a binary file) stop the read with a ``CorpusError`` naming the line and
/// the byte offset.
public struct LineReader: Sendable {
    package let path: String
    package static let chunkSize = 1 << 22

    package init(path: String) { self.path = path }

    /// The path that stands for standard input, as in other command-line tools; errors
    /// name it "standard input" (``CorpusError``).
    public static let standardInput = "-"

    /// How messages name the text at `path`: the path, or "standard input".
    package static func name(of path: String) -> String { path == standardInput ? "standard input" : path }

    public struct Summary: Equatable, Sendable {
        public var bytes = 0
        public var lines = 0
        /// Unicode scalars, line ends included (one per line).
        public var characters = 0
    }

    /// Calls `body` with each line's UTF-16 code units (without its line end) and its
    /// 1-based number.
    @discardableResult
    package func forEachLine(_ body: (UnsafeBufferPointer<UInt16>, Int) throws -> Void) throws -> Summary {
        let handle = try open()
        defer { if path != Self.standardInput { try? handle.close() } }
        var decoder = Decoder(path: path)
        var summary = Summary()
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: Self.chunkSize)
            } catch {
                throw CorpusError.unreadable(path: path, reason: (error as NSError).localizedDescription)
            }
            guard let chunk, !chunk.isEmpty else { break }
            summary.bytes += chunk.count
            try chunk.withUnsafeBytes { bytes in
                try decoder.decode(bytes.bindMemory(to: UInt8.self), summary: &summary, body)
            }
        }
        try decoder.finish(summary: &summary, body)
        return summary
    }

    /// Calls `body` with each line of `bytes`, the part of the file that starts at byte
    /// `offset` and ends at a line end or at the file's end (``Chunks``), numbering its
    /// lines from 1. Only the part at offset 0 may begin with a byte-order mark; errors
    /// give byte offsets in the file and line numbers in the part.
    package func forEachLine(
        in bytes: UnsafeBufferPointer<UInt8>, startingAt offset: Int, _ body: (UnsafeBufferPointer<UInt16>, Int) throws -> Void
    ) throws -> Summary {
        var decoder = Decoder(path: path)
        decoder.offset = offset
        decoder.atStart = offset == 0
        var summary = Summary(bytes: bytes.count)
        try decoder.decode(bytes, summary: &summary, body)
        try decoder.finish(summary: &summary, body)
        return summary
    }

    func open() throws -> FileHandle {
        if path == Self.standardInput { return FileHandle.standardInput }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CorpusError.missing(path: path)
        }
        if isDirectory.boolValue { throw CorpusError.isDirectory(path: path) }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CorpusError.unreadable(path: path, reason: "permission denied")
        }
        return handle
    }

    /// An incremental validating UTF-8 → UTF-16 decoder that cuts lines.
    private struct Decoder {
        let path: String
        var line: [UInt16] = []
        var lineNumber = 1
        var offset = 0
        var pendingCarriageReturn = false
        var atStart = true
        /// A multi-byte sequence split across chunks.
        var partial: [UInt8] = []
        var partialStart = 0

        init(path: String) {
            self.path = path
            line.reserveCapacity(4096)
        }

        mutating func decode(
            _ bytes: UnsafeBufferPointer<UInt8>, summary: inout Summary,
            _ body: (UnsafeBufferPointer<UInt16>, Int) throws -> Void
        ) throws {
            var index = 0
            if !partial.isEmpty {
                // Complete the split sequence with bytes from this chunk.
                let needed = Self.sequenceLength(partial[0]) - partial.count
                guard bytes.count >= needed else {
                    partial += bytes
                    offset += bytes.count
                    return
                }
                let sequence = partial + Array(bytes[0..<needed])
                partial.removeAll()
                try sequence.withUnsafeBufferPointer { sequence in
                    var position = 0
                    try decodeScalar(sequence, at: &position, start: partialStart, summary: &summary)
                }
                index = needed
                offset += needed
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte < 0x80 {
                    if byte == 0x0A || byte == 0x0D {
                        if byte == 0x0A && pendingCarriageReturn {
                            pendingCarriageReturn = false
                        } else {
                            try endLine(summary: &summary, body)
                            pendingCarriageReturn = byte == 0x0D
                        }
                    } else {
                        if byte == 0 { throw CorpusError.binary(path: path, byteOffset: offset) }
                        pendingCarriageReturn = false
                        line.append(UInt16(byte))
                        summary.characters += 1
                    }
                    index += 1
                    offset += 1
                    continue
                }
                pendingCarriageReturn = false
                let length = Self.sequenceLength(byte)
                if length == 0 { throw invalid }
                if index + length > bytes.count {
                    partial = Array(bytes[index...])
                    partialStart = offset
                    offset += bytes.count - index
                    return
                }
                var position = index
                try decodeScalar(bytes, at: &position, start: offset, summary: &summary)
                offset += position - index
                index = position
            }
        }

        mutating func finish(summary: inout Summary, _ body: (UnsafeBufferPointer<UInt16>, Int) throws -> Void) throws {
            if !partial.isEmpty {
                offset = partialStart
                throw invalid
            }
            if !line.isEmpty { try endLine(summary: &summary, body) }
        }

        var invalid: CorpusError { .invalidUTF8(path: path, line: lineNumber, byteOffset: offset) }

        static func sequenceLength(_ lead: UInt8) -> Int {
            switch lead {
            case 0xC2...0xDF: 2
            case 0xE0...0xEF: 3
            case 0xF0...0xF4: 4
            default: 0
            }
        }

        /// Decodes one multi-byte scalar starting at `position` (validated: no overlong
        /// forms, no surrogates, nothing above U+10FFFF).
        mutating func decodeScalar(
            _ bytes: UnsafeBufferPointer<UInt8>, at position: inout Int, start: Int, summary: inout Summary
        ) throws {
            let lead = bytes[position]
            let length = Self.sequenceLength(lead)
            var scalar = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
            for continuation in 1..<length {
                let byte = bytes[position + continuation]
                guard byte & 0xC0 == 0x80 else {
                    offset = start
                    throw invalid
                }
                scalar = scalar << 6 | UInt32(byte & 0x3F)
            }
            let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
                offset = start
                throw invalid
            }
            position += length
            summary.characters += 1
            if atStart && scalar == 0xFEFF && line.isEmpty && lineNumber == 1 {
                summary.characters -= 1
                atStart = false
                return
            }
            atStart = false
            if scalar < 0x10000 {
                line.append(UInt16(scalar))
            } else {
                let value = scalar - 0x10000
                line.append(UInt16(0xD800 + (value >> 10)))
                line.append(UInt16(0xDC00 + (value & 0x3FF)))
            }
        }

        mutating func endLine(summary: inout Summary, _ body: (UnsafeBufferPointer<UInt16>, Int) throws -> Void) throws {
            atStart = false
            summary.lines += 1
            summary.characters += 1
            try line.withUnsafeBufferPointer { try body($0, lineNumber) }
            line.removeAll(keepingCapacity: true)
            lineNumber += 1
        }
    }
}
