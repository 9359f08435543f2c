import Foundation
import Testing

/// Training stopped from outside: SIGINT and SIGTERM end it cleanly with a checkpoint and
/// the command that resumes; SIGKILL at any moment leaves the last complete checkpoint and
/// the best model loadable and resumable.
@Suite(.serialized) struct InterruptionTests {
    /// A corpus that takes a tiny model a few seconds per epoch.
    static func longCorpus(in folder: URL) throws -> URL {
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus, lines: 8_000)
        return corpus
    }

    static let flags = [
        "--embed", "16", "--hidden", "16", "--batch", "4", "--bptt", "8", "--epochs", "2", "--threads", "1",
        "--log-every", "1", "--checkpoint-every", "50", "--valid-fraction", "0.01",
    ]

    /// Waits until training has logged `records` metrics lines (it is past its start).
    static func waitForProgress(_ model: URL, records: Int = 1, timeout: TimeInterval = 60) {
        let metrics = model.appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOf: metrics, encoding: .utf8), text.split(separator: "\n").count >= records { return }
            usleep(20_000)
        }
    }

    /// Starts training on the long corpus into `folder/model` and sends `signal` once it
    /// is under way.
    static func interruptedTraining(in folder: URL, signal: Int32) throws -> (outcome: CommandRunner.Outcome, model: URL, corpus: URL) {
        let corpus = try longCorpus(in: folder)
        let model = folder.appendingPathComponent("model")
        let outcome = try CommandRunner.run(["train", corpus.path, "--out", model.path] + flags) { process in
            waitForProgress(model)
            kill(process.processIdentifier, signal)
        }
        return (outcome, model, corpus)
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aStopSignalSavesACheckpointAndResumeFinishes(signal: Int32, status: Int32) throws {
        let (stopped, model, corpus) = try Self.interruptedTraining(in: try CommandRunner.temporaryDirectory(), signal: signal)
        #expect(stopped.status == status, "\(stopped.standardError)")
        #expect(stopped.standardError.contains("checkpoint saved. Resume with: lmtool train --resume \(model.path)"))
        #expect(FileManager.default.fileExists(atPath: model.appendingPathComponent("checkpoint.safetensors").path))

        let resumed = try CommandRunner.run(["train", "--resume", model.path, "--threads", "1"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("training finished after 2 epochs"))
        let evaluated = try CommandRunner.run(["eval", corpus.path, "--model", model.path, "--json"])
        #expect(evaluated.status == 0, "\(evaluated.standardError)")
    }

    @Test func killingTrainingAtRandomMomentsNeverLeavesAnUnloadableModel() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = try Self.longCorpus(in: folder)
        let model = folder.appendingPathComponent("model")
        let text = folder.appendingPathComponent("probe.txt")
        try "the cat sat on a mat .\n".write(to: text, atomically: true, encoding: .utf8)
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        for attempt in 0..<6 {
            let started = FileManager.default.fileExists(atPath: model.appendingPathComponent("checkpoint.safetensors").path)
            let arguments =
                started
                ? ["train", "--resume", model.path, "--threads", "1"]
                : ["train", corpus.path, "--out", model.path, "--checkpoint-every", "3"] + Self.flags
            let outcome = try CommandRunner.run(arguments) { process in
                // Early kills land during start-up and the first checkpoint writes, later ones mid-epoch.
                usleep(UInt32.random(in: 100_000...(300_000 + 150_000 * UInt32(attempt)), using: &generator))
                kill(process.processIdentifier, SIGKILL)
            }
            if outcome.status == 0 { break }  // finished before the kill
            kills += 1
            #expect(outcome.terminationReason == .uncaughtSignal, "attempt \(attempt): \(outcome.standardError)")
            let files = (try? FileManager.default.contentsOfDirectory(atPath: model.path)) ?? []
            if files.contains("model.safetensors") {
                let evaluated = try CommandRunner.run(["eval", text.path, "--model", model.path])
                #expect(evaluated.status == 0, "attempt \(attempt): \(evaluated.standardError)")
            }
        }
        #expect(kills > 0)
        if FileManager.default.fileExists(atPath: model.appendingPathComponent("checkpoint.safetensors").path) {
            let finished = try CommandRunner.run(["train", "--resume", model.path, "--threads", "1"])
            #expect(finished.status == 0, "\(finished.standardError)")
            #expect(finished.standardOutput.contains("training finished after 2 epochs"))
            // The resumed run cleared what killed writers left behind.
            let files = try FileManager.default.contentsOfDirectory(atPath: model.path)
            #expect(!files.contains { $0.hasSuffix(".tmp") }, "temporary files left: \(files)")
        }
    }
}

/// A disk that fills while training writes: simulated with a file-size limit
/// (`ulimit -f`, SIGXFSZ ignored), so every write past it fails as on a full disk.
@Suite struct FullDiskTests {
    @Test func aFailedCheckpointWriteKeepsThePreviousOneAndSaysSo() throws {
        let (stopped, model, _) = try InterruptionTests.interruptedTraining(in: try CommandRunner.temporaryDirectory(), signal: SIGINT)
        #expect(stopped.status == 130, "\(stopped.standardError)")
        let checkpoint = model.appendingPathComponent("checkpoint.safetensors")
        let before = try Data(contentsOf: checkpoint)
        #expect(before.count > 12 * 1024)
        // How many metrics lines the stopped run logged depends on how fast it ran; emptied,
        // the log leaves the resumed run's appends (at most 50 lines before its first
        // checkpoint) under the limit, which the checkpoint is over.
        try Data().write(to: model.appendingPathComponent("metrics.jsonl"))

        let resume = "exec '\(CommandRunner.executable.path)' train --resume '\(model.path)' --threads 1"
        let full = try CommandRunner.run(
            ["-c", "ulimit -f 12; trap '' XFSZ; \(resume)"], executable: URL(fileURLWithPath: "/bin/bash"))
        #expect(full.status == 1)
        #expect(full.errorLines.count == 1, "\(full.standardError)")
        #expect(full.standardError.contains("checkpoint.safetensors: cannot be written (File too large); the previous file is unchanged"))
        #expect(try Data(contentsOf: checkpoint) == before)

        let resumed = try CommandRunner.run(["train", "--resume", model.path, "--threads", "1"])
        #expect(resumed.status == 0, "\(resumed.standardError)")
        let files = try FileManager.default.contentsOfDirectory(atPath: model.path)
        #expect(!files.contains { $0.hasSuffix(".tmp") }, "\(files)")
    }
}
