import Foundation
import Testing

@testable import LMStore

@Suite struct AtomicFileTests {
    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lmtool-atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aFailingWriterLeavesThePreviousFileAndNoTemporary() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/model.safetensors"
        try AtomicFile.write(Data("old contents".utf8), to: path)
        #expect(throws: StoreError.writeFailed(path: path, reason: "disk full (simulated)")) {
            try AtomicFile.write(to: path) { handle in
                try Data("new con".utf8).withUnsafeBytes { try AtomicFile.writeAll($0, to: handle, path: path) }
                throw StoreError.writeFailed(path: path, reason: "disk full (simulated)")
            }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old contents")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["model.safetensors"])
    }

    @Test func replacesTheFileWhole() throws {
        let path = try temporaryDirectory() + "/config.json"
        try AtomicFile.write(Data("one".utf8), to: path)
        try AtomicFile.write(Data("two".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
    }

    @Test func aMissingDirectoryIsReported() {
        #expect(throws: StoreError.self) { try AtomicFile.write(Data("x".utf8), to: "/nonexistent/dir/file") }
    }

    @Test func aSecondLockOnTheSameDirectoryFails() throws {
        let directory = try temporaryDirectory()
        let first = try DirectoryLock(directory: directory)
        #expect(throws: StoreError.locked(path: directory, owner: "pid \(getpid())")) {
            try DirectoryLock(directory: directory)
        }
        first.release()
        let second = try DirectoryLock(directory: directory)
        second.release()
    }
}
