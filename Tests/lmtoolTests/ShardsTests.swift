import Foundation
import Testing

/// `train --shards S`: each window's streams split between threads, one shard each; the
/// model does not depend on the thread count. `eval --shards S`: the streams scored in
/// groups, one thread each; the figure does not depend on the thread count either.
@Suite struct ShardsTests {
    @Test func aShardedRunGivesTheSameModelOnOneThreadAndOnTwo() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus, lines: 150)
        var weights: [Data] = []
        for threads in ["1", "2"] {
            let model = folder.appendingPathComponent("models/threads-\(threads)")
            let outcome = try CommandRunner.run(
                ["train", corpus.path, "--out", model.path] + CommandRunner.tinyModelFlags
                    + ["--shards", "2", "--threads", threads, "--dropout", "0.3", "--weight-drop", "0.2"],
                in: folder)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.standardOutput.contains("\(threads) thread\(threads == "1" ? "" : "s"), 2 shards of the batch's streams"), "\(outcome.standardOutput)")
            weights.append(try Data(contentsOf: model.appendingPathComponent("model.safetensors")))
        }
        #expect(weights[0] == weights[1])
    }

    @Test func aShardedEvaluationGivesTheSameFigureOnOneThreadAndOnTwo() throws {
        let folder = try CommandRunner.temporaryDirectory()
        let corpus = folder.appendingPathComponent("train.txt")
        try CommandRunner.writeCorpus(to: corpus, lines: 150)
        let trained = try CommandRunner.run(["train", corpus.path, "--out", "model"] + CommandRunner.tinyModelFlags, in: folder)
        #expect(trained.status == 0, "\(trained.standardError)")
        func crossEntropy(_ flags: [String]) throws -> Double {
            let outcome = try CommandRunner.run(["eval", corpus.path, "--model", "model", "--batch", "5", "--json"] + flags, in: folder)
            #expect(outcome.status == 0, "\(outcome.standardError)")
            let scores = try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any]
            return try #require(scores?["cross_entropy_nats"] as? Double)
        }
        let whole = try crossEntropy(["--threads", "2"])
        let sharded = try crossEntropy(["--shards", "2", "--threads", "2"])
        #expect(try crossEntropy(["--shards", "2", "--threads", "1"]) == sharded)
        #expect(abs(sharded - whole) < 1e-6 * whole, "\(sharded) against \(whole)")
    }
}
