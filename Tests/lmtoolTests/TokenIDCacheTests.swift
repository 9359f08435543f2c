import Foundation
import Testing

/// `train` writes the corpus's ids once to the model directory's `ids.bin`, the same for
/// any number of threads; `--resume` maps it without tokenizing again, and tokenizes again,
/// with a note, when the file is stale or damaged.
@Suite struct TokenIDCacheTests {
    static func ids(_ model: URL) throws -> Data { try Data(contentsOf: model.appendingPathComponent("ids.bin")) }

    @Test func idsAreWrittenOnceTheSameForAnyThreadCountAndReused() throws {
        let (folder, model, corpus) = try ResumeTests.trained(epochs: 1)  // --threads 1
        let written = try Self.ids(model)
        let other = folder.appendingPathComponent("models/two-threads")
        let twoThreads = try CommandRunner.run(
            ["train", corpus.path, "--out", other.path] + CommandRunner.tinyModelFlags + ["--threads", "2"], in: folder)
        #expect(twoThreads.status == 0, "\(twoThreads.standardError)")
        #expect(twoThreads.standardOutput.contains("tokenized on 2 threads"), "\(twoThreads.standardOutput)")
        #expect(try Self.ids(other) == written)

        let modified = try FileManager.default.attributesOfItem(atPath: model.appendingPathComponent("ids.bin").path)[.modificationDate] as? Date
        let resumed = try CommandRunner.run(["train", "--resume", model.path, "--epochs", "2"], in: folder)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("ids: \(written.count / 4 - 24) read from \(model.path)/ids.bin"), "\(resumed.standardOutput)")
        #expect(!resumed.standardOutput.contains("tokenized"))
        #expect(try FileManager.default.attributesOfItem(atPath: model.appendingPathComponent("ids.bin").path)[.modificationDate] as? Date == modified)
    }

    @Test func aChangedCorpusIsTokenizedAgainWithANote() throws {
        let (folder, model, corpus) = try ResumeTests.trained(epochs: 1)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: corpus.path)
        let resumed = try CommandRunner.run(["train", "--resume", model.path, "--epochs", "2", "--threads", "2"], in: folder)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(
            resumed.standardError.contains(
                "lmtool: note: \(model.path)/ids.bin: the corpus changed since (size or modification time); tokenizing \(corpus.path) again"),
            "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("tokenized on 2 threads"))
    }

    @Test func aDamagedFileIsTokenizedAgainWithANote() throws {
        let (folder, model, _) = try ResumeTests.trained(epochs: 1)
        let path = model.appendingPathComponent("ids.bin")
        let written = try Data(contentsOf: path)
        try written.prefix(written.count - 10).write(to: path)
        let resumed = try CommandRunner.run(["train", "--resume", model.path, "--epochs", "2"], in: folder)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains("lmtool: note: \(path.path): truncated or padded"), "\(resumed.standardError)")
        #expect(try Data(contentsOf: path) == written)

        try (Data("not ids".utf8) + written.dropFirst(7)).write(to: path)
        let again = try CommandRunner.run(["train", "--resume", model.path, "--epochs", "3"], in: folder)
        #expect(again.standardError.contains("ids.bin: not an lmtool id file (bad magic)"), "\(again.standardError)")
        #expect(try Data(contentsOf: path) == written)
    }
}
