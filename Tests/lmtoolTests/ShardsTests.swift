import Foundation
import Testing

/// `train --shards S`: each window's streams split between threads, one shard each; the
/// model does not depend on the thread count.
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
}
