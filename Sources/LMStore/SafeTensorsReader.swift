import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A safetensors file opened for reading tensor by tensor straight into the caller's
/// memory: the header is read and validated first (as ``SafeTensors`` does), then each
/// tensor is read with `pread` in bounded chunks and converted in place. Loading a model
/// therefore holds its parameters and one chunk, never a second copy of the file.
package final class SafeTensorsReader {
    package let path: String
    package let metadata: [String: String]
    private let entries: [String: SafeTensorsHeader.Entry]
    private let dataStart: Int
    private let handle: Int32

    /// Bytes read per `pread` when a tensor needs converting.
    static let chunkBytes = 1 << 20

    /// Opens `path` and validates its header against the file's size and `expected`.
    package init(path: String, expected: [String: [Int]]? = nil) throws(StoreError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path: path) }
        handle = open(path, O_RDONLY | O_CLOEXEC)
        guard handle >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        var status = stat()
        guard fstat(handle, &status) == 0 else {
            close(handle)
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let fileSize = Int(status.st_size)
        do {
            guard fileSize >= 8 else {
                throw StoreError.truncated(path: path, detail: "\(fileSize) bytes, shorter than the 8-byte header length")
            }
            let length = try SafeTensorsHeader.headerLength(try Self.read(handle, count: 8, at: 0, path: path), fileSize: fileSize, path: path)
            let header = try Self.read(handle, count: length, at: 8, path: path)
            let validated = try SafeTensorsHeader.validated(header, fileSize: fileSize, path: path, expected: expected)
            entries = validated.tensors
            metadata = validated.metadata
            dataStart = 8 + length
        } catch {
            close(handle)
            throw error as? StoreError ?? .unreadable(path: path, reason: "\(error)")
        }
    }

    deinit { close(handle) }

    package var names: [String] { entries.keys.sorted() }

    package func shape(of name: String) -> [Int]? { entries[name]?.shape }

    /// Reads tensor `name` into `destination` (exactly its element count), converting to
    /// Float, and checks that every value is finite.
    package func read(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws(StoreError) {
        guard let entry = entries[name] else { throw .missingTensor(path: path, name: name) }
        let count = (entry.end - entry.begin) / entry.dtype.size
        guard count == destination.count, let base = destination.baseAddress else {
            throw .badTensor(path: path, name: name, detail: "holds \(count) values, \(destination.count) expected")
        }
        let offset = dataStart + entry.begin
        #if _endian(little)
            if entry.dtype == .f32 {
                try Self.readAll(handle, into: UnsafeMutableRawBufferPointer(destination), at: offset, path: path)
                try Self.checkFinite(destination, name: name, path: path)
                return
            }
        #endif
        // Other types: a chunk at a time, through a bounded buffer.
        let perChunk = max(1, Self.chunkBytes / entry.dtype.size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: perChunk * entry.dtype.size, alignment: 8)
        defer { buffer.deallocate() }
        var done = 0
        while done < count {
            let elements = min(perChunk, count - done)
            let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(elements * entry.dtype.size)])
            try Self.readAll(handle, into: bytes, at: offset + done * entry.dtype.size, path: path)
            let values = entry.dtype.decode(UnsafeRawBufferPointer(bytes))
            (base + done).update(from: values, count: elements)
            done += elements
        }
        try Self.checkFinite(destination, name: name, path: path)
    }

    private static func checkFinite(_ values: UnsafeMutableBufferPointer<Float>, name: String, path: String) throws(StoreError) {
        guard values.allSatisfy(\.isFinite) else { throw .badTensor(path: path, name: name, detail: "holds a non-finite value") }
    }

    private static func read(_ handle: Int32, count: Int, at offset: Int, path: String) throws(StoreError) -> Data {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
        defer { bytes.deallocate() }
        try readAll(handle, into: bytes, at: offset, path: path)
        return Data(bytes)
    }

    /// `pread` until `bytes` is full; a short file is reported as truncated.
    private static func readAll(_ handle: Int32, into bytes: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws(StoreError) {
        var done = 0
        while done < bytes.count {
            let result = pread(handle, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if result < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if result == 0 { throw .truncated(path: path, detail: "ends at byte \(offset + done) inside the data") }
            done += result
        }
    }
}
