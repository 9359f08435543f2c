import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive advisory lock on a model directory (`flock` on `DIR/.lock`, which holds
/// the owner's pid), held until released or the process ends, so two training runs never
/// write one directory at once. Releasing it removes the file; a file left by a process
/// that was killed is taken over (the lock died with its process) and its pid reported.
/// Taking the lock also removes temporary files a killed writer left behind
/// (``AtomicFile``'s `.NAME.PID.tmp`): with the lock held, no other process can be
/// writing them.
package final class DirectoryLock {
    package let path: String
    /// The pid in a lock file left behind by a process that is no longer running.
    package private(set) var abandonedBy: Int32?
    private var handle: Int32

    /// Takes the lock, or throws ``StoreError/locked(path:owner:)`` naming the holder's pid.
    package init(directory: String) throws(StoreError) {
        path = directory + "/.lock"
        handle = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard handle >= 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        guard flock(handle, LOCK_EX | LOCK_NB) == 0 else {
            let owner = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(handle)
            throw .locked(path: directory, owner: owner.map { "pid \($0)" } ?? "unknown pid")
        }
        if let owner = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
            owner != getpid(), kill(owner, 0) != 0, errno == ESRCH
        {
            abandonedBy = owner
        }
        ftruncate(handle, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { Glibc.write(handle, $0, strlen($0)) }
        removeAbandonedTemporaryFiles(in: directory)
    }

    private func removeAbandonedTemporaryFiles(in directory: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where AtomicFile.isTemporaryName(name) {
            unlink(directory + "/" + name)
        }
    }

    package func release() {
        guard handle >= 0 else { return }
        unlink(path)
        flock(handle, LOCK_UN)
        close(handle)
        handle = -1
    }

    deinit { release() }
}
