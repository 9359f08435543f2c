import Foundation
import Testing

/// `train --resume DIR` continues a run whatever stopped it (a budget, the last epoch,
/// early stopping), takes the flags that may change and refuses the others, and keeps
/// counting steps across resumes; a stopped run leaves no lock behind.
@Suite struct ResumeTests {
    static func records(_ model: URL, kind: String) throws -> [[String: Any]] {
        try String(contentsOf: model.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["kind"] as? String == kind }
    }

    static func config(_ model: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: model.appendingPathComponent("config.json"))) as? [String: Any] ?? [:]
    }

    /// A model trained for `epochs` short epochs on the small corpus.
    static func trained(epochs: Int, extra: [String] = []) throws -> (folder: URL, model: URL, corpus: URL) {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus, lines: 150)
        let model = folder.appendingPathComponent("models/small")
        let outcome = try CommandRunner.run(
            ["train", corpus.path, "--out", model.path] + CommandRunner.tinyModelFlags + ["--epochs", "\(epochs)", "--log-every", "1000"] + extra,
            in: folder)
        #expect(outcome.status == 0, "\(outcome.standardError)")
        return (folder, model, corpus)
    }

    @Test func aFinishedRunTrainsMoreEpochsWhenAskedAndSaysHowOtherwise() throws {
        let (folder, model, _) = try Self.trained(epochs: 1)
        let nothing = try CommandRunner.run(["train", "--resume", model.path], in: folder)
        #expect(nothing.status == 0)
        #expect(nothing.standardOutput.contains("has trained its 1 epochs; to train more, pass --epochs N with N above 1"))

        let more = try CommandRunner.run(["train", "--resume", model.path, "--epochs", "3"], in: folder)
        #expect(more.status == 0, "\(more.standardError)")
        #expect(more.standardOutput.contains("training finished after 3 epochs"), "\(more.standardOutput)")
        #expect(try Self.records(model, kind: "valid").map { $0["epoch"] as? Int } == [1, 2, 3])
        #expect((try Self.config(model)["training"] as? [String: Any])?["epochs"] as? Int == 3)
        let resume = try #require(try Self.records(model, kind: "resume").last)
        #expect((resume["changed"] as? [String: Any])?["epochs"] as? Int == 3)
    }

    /// The thread count, part of what reproduces a model, is in config.json, and a resume
    /// with another count records it there and in the metrics.
    @Test func theThreadCountIsRecordedAndFollowsAResume() throws {
        let (folder, model, _) = try Self.trained(epochs: 1)  // --threads 1
        #expect((try Self.config(model)["training"] as? [String: Any])?["threads"] as? Int == 1)
        let more = try CommandRunner.run(["train", "--resume", model.path, "--epochs", "2", "--threads", "2"], in: folder)
        #expect(more.status == 0, "\(more.standardError)")
        #expect((try Self.config(model)["training"] as? [String: Any])?["threads"] as? Int == 2)
        let resume = try #require(try Self.records(model, kind: "resume").last)
        #expect((resume["changed"] as? [String: Any])?["threads"] as? Int == 2)
    }

    @Test func stepsKeepCountingAcrossResumesAndShortRunsStillHaveACurve() throws {
        let (folder, model, _) = try Self.trained(epochs: 1)
        _ = try CommandRunner.run(["train", "--resume", model.path, "--epochs", "2"], in: folder)
        let train = try Self.records(model, kind: "train")
        let steps = train.compactMap { $0["step"] as? Int }
        let tokens = train.compactMap { $0["tokens"] as? Int }
        // --log-every 1000 is never reached: each epoch logs its first and last window.
        #expect(steps.count == 4, "\(steps)")
        #expect(steps == steps.sorted() && Set(steps).count == steps.count, "\(steps)")
        #expect(tokens == tokens.sorted() && tokens.first ?? 0 > 0)
        let valid = try Self.records(model, kind: "valid").compactMap { $0["step"] as? Int }
        #expect(valid.count == 2 && valid[1] == 2 * valid[0], "\(valid)")
        let svg = try String(contentsOf: model.appendingPathComponent("training-curve.svg"), encoding: .utf8)
        #expect(svg.contains("polyline"))
    }

    @Test func aBudgetStopIsContinuedWithANewBudgetCountedFromTheResume() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = try InterruptionTests.longCorpus(in: folder)
        let model = folder.appendingPathComponent("models/budget")
        let first = try CommandRunner.run(
            ["train", corpus.path, "--out", model.path, "--max-minutes", "0.03", "--epochs", "50"] + CommandRunner.tinyModelFlags.dropLast(4),
            in: folder)
        #expect(first.status == 0, "\(first.standardError)")
        let hint = "resume with: lmtool train --resume \(model.path)"
        #expect(first.standardOutput.contains(hint), "\(first.standardOutput)")
        let before = try #require(try Self.records(model, kind: "train").compactMap { $0["step"] as? Int }.last)

        let started = Date()
        let resumed = try CommandRunner.run(["train", "--resume", model.path, "--max-minutes", "0.03"], in: folder)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(Date().timeIntervalSince(started) < 30)
        let after = try #require(try Self.records(model, kind: "train").compactMap { $0["step"] as? Int }.last)
        #expect(after > before, "the resumed run trained (steps \(before) -> \(after))")
        #expect((try Self.config(model)["training"] as? [String: Any])?["maxMinutes"] as? Double == 0.03)
    }

    @Test func flagsThatCannotChangeAreNamedNotIgnored() throws {
        let (folder, model, corpus) = try Self.trained(epochs: 1)
        let refused = try CommandRunner.run(
            ["train", "--resume", model.path, "--epochs", "2", "--hidden", "32", "--tokenizer", "char", "--batch", "8"], in: folder)
        #expect(refused.status == 1)
        #expect(refused.errorLines.count == 1, "\(refused.standardError)")
        #expect(refused.standardError.contains("--batch, --hidden, --tokenizer cannot change when resuming"), "\(refused.standardError)")
        let otherCorpus = try CommandRunner.run(["train", folder.appendingPathComponent("other.txt").path, "--resume", model.path], in: folder)
        #expect(otherCorpus.status == 1 && otherCorpus.standardError.contains("the corpus cannot change when resuming"))
        let same = try CommandRunner.run(
            ["train", corpus.path, "--resume", model.path, "--epochs", "2", "--lr", "5", "--clip", "0.5", "--lr-decay", "linear"], in: folder)
        #expect(same.status == 0, "\(same.standardError)")
        let training = try #require(try Self.config(model)["training"] as? [String: Any])
        #expect(training["learningRate"] as? Double == 5 && training["clip"] as? Double == 0.5)
        #expect(training["learningRateDecay"] as? String == "linear")
        #expect((try Self.records(model, kind: "resume").last?["changed"] as? [String: Any])?["lr_decay"] as? String == "linear")
        #expect(try Self.records(model, kind: "valid").last?["lr"] as? Double ?? 0 <= 5)
    }

    /// `--accumulate K` is refused below 1 (one line naming the flag and its range, before
    /// anything is written), recorded in config.json, and may change on a resume.
    @Test func accumulateIsCheckedRecordedAndMayChangeOnResume() throws {
        let (folder, model, corpus) = try Self.trained(epochs: 1, extra: ["--accumulate", "2"])
        let other = folder.appendingPathComponent("models/refused")
        let refused = try CommandRunner.run(["train", corpus.path, "--out", other.path, "--accumulate", "0"], in: folder)
        #expect(refused.status == 1 && refused.errorLines.count == 1, "\(refused.standardError)")
        #expect(refused.standardError.contains("lmtool: error: --accumulate must be at least 1"), "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: other.path))

        #expect((try Self.config(model)["training"] as? [String: Any])?["accumulate"] as? Int == 2)
        let resumed = try CommandRunner.run(["train", "--resume", model.path, "--epochs", "2", "--accumulate", "3"], in: folder)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect((try Self.config(model)["training"] as? [String: Any])?["accumulate"] as? Int == 3)
        #expect((try Self.records(model, kind: "resume").last?["changed"] as? [String: Any])?["accumulate"] as? Int == 3)
        #expect(try Self.records(model, kind: "valid").count == 2)
    }

    /// `--shards S` must divide the batch (one line, before anything is written), is
    /// recorded in config.json, and may change on a resume; a resumed batch it does not
    /// divide is refused in one line.
    @Test func shardsAreCheckedRecordedAndMayChangeOnResume() throws {
        let (folder, model, corpus) = try Self.trained(epochs: 1, extra: ["--shards", "2", "--threads", "2"])
        let other = folder.appendingPathComponent("models/refused")
        let refused = try CommandRunner.run(["train", corpus.path, "--out", other.path, "--batch", "4", "--shards", "3"], in: folder)
        #expect(refused.status == 1 && refused.errorLines.count == 1, "\(refused.standardError)")
        #expect(refused.standardError.contains("lmtool: error: --shards must divide --batch 4"), "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: other.path))

        #expect((try Self.config(model)["training"] as? [String: Any])?["shards"] as? Int == 2)
        let resumed = try CommandRunner.run(["train", "--resume", model.path, "--epochs", "2", "--shards", "4"], in: folder)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect((try Self.config(model)["training"] as? [String: Any])?["shards"] as? Int == 4)
        #expect((try Self.records(model, kind: "resume").last?["changed"] as? [String: Any])?["shards"] as? Int == 4)
        #expect(try Self.records(model, kind: "valid").count == 2)
        let indivisible = try CommandRunner.run(["train", "--resume", model.path, "--epochs", "3", "--shards", "3"], in: folder)
        #expect(indivisible.status == 1 && indivisible.errorLines.count == 1, "\(indivisible.standardError)")
        #expect(indivisible.standardError.contains("--shards 3 does not divide the 4 streams"), "\(indivisible.standardError)")
        #expect((try Self.config(model)["training"] as? [String: Any])?["shards"] as? Int == 4, "the refused value is not kept")
    }

    @Test func aStoppedRunLeavesNoLockAndAnAbandonedOneIsTakenOver() throws {
        let (folder, model, _) = try Self.trained(epochs: 1)
        #expect(!FileManager.default.fileExists(atPath: model.appendingPathComponent(".lock").path))
        // A lock file left by a process that is gone (pid 2^22 - 1 is beyond pid_max's default).
        try "4194303\n".write(to: model.appendingPathComponent(".lock"), atomically: true, encoding: .utf8)
        let resumed = try CommandRunner.run(["train", "--resume", model.path, "--epochs", "2"], in: folder)
        #expect(resumed.status == 0, "\(resumed.standardError)")
        #expect(resumed.standardError.contains(".lock was left by pid 4194303, which is no longer running; taken over"))
        #expect(!FileManager.default.fileExists(atPath: model.appendingPathComponent(".lock").path))
    }

    @Test func modelCommandsSayWhatToDoWhenThereIsNoModelYet() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let none = try CommandRunner.run(["generate"], in: folder)
        #expect(none.status == 1 && none.errorLines.count == 1)
        #expect(none.standardError.contains("no model yet") && none.standardError.contains("lmtool train corpus.txt"))

        let (_, model, corpus) = try Self.trained(epochs: 1)
        try FileManager.default.removeItem(at: model.appendingPathComponent("model.safetensors"))
        for command in [["generate", "--model", model.path], ["eval", corpus.path, "--model", model.path]] {
            let early = try CommandRunner.run(command)
            #expect(early.status == 1 && early.errorLines.count == 1)
            #expect(early.standardError.contains("has not reached its first validation") && early.standardError.contains("--resume \(model.path)"))
        }
    }
}
