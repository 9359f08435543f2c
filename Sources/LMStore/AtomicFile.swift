import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes files so that a crash, a kill or a full disk at any moment leaves either the
/// previous file or the new one, never a mixture: the bytes go to a temporary file in the
/// same directory, which is flushed to disk (`fsync`) and renamed over the target; the
/// directory is flushed too so the rename itself survives a power cut.
package enum AtomicFile {
    static let temporarySuffix = ".tmp"

    /// This process among those of every machine that may write one shared directory (the
    /// processes of a data-parallel run each write `ids.bin`): host name and pid.
    package static let processTag: String = {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + ".\(getpid())"
    }()

    /// Whether `name` is one of the temporary files `write` makes (`.NAME.HOST.PID.tmp`).
    static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".") && name.hasSuffix(temporarySuffix)
    }

    /// Writes `data` to `path` atomically.
    package static func write(_ data: Data, to path: String) throws(StoreError) {
        try write(to: path) { handle in
            try data.withUnsafeBytes { try writeAll($0, to: handle, path: path) }
        }
    }

    /// Writes through `produce`, which calls ``writeAll(_:to:path:)`` on the descriptor
    /// it is given, possibly many times; any error leaves `path` as it was (errors other
    /// than ``StoreError`` are reported as a failed write of `path`).
    package static func write(to path: String, _ produce: (Int32) throws -> Void) throws(StoreError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).\(processTag)\(temporarySuffix)"
        let handle = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard handle >= 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        do {
            try produce(handle)
            guard fsync(handle) == 0 else { throw StoreError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
            guard close(handle) == 0 else {
                unlink(temporary)
                throw StoreError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
        } catch {
            close(handle)
            unlink(temporary)
            throw error as? StoreError ?? .writeFailed(path: path, reason: "\(error)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .writeFailed(path: path, reason: reason)
        }
        let directoryHandle = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryHandle >= 0 {
            fsync(directoryHandle)
            close(directoryHandle)
        }
    }

    /// Writes every byte of `bytes` to `handle`, retrying short writes and interrupts.
    package static func writeAll(_ bytes: UnsafeRawBufferPointer, to handle: Int32, path: String) throws(StoreError) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(handle, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            offset += written
        }
    }
}
