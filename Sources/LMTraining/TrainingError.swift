/// Why training cannot start or go on; each description is one line for the CLI.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case noKnownTokens(path: String)
    case diverged(epoch: Int, step: Int, loss: Float)
    case interrupted(signal: Int32)
    /// The processes of a data-parallel run hold different weights.
    case processesHoldDifferentWeights
    /// The processes of a data-parallel run read different token ids.
    case processesReadDifferentTexts
    /// `--shards` does not divide the streams of a process.
    case shardsDoNotSplitBatch(streams: Int, shards: Int)

    public var description: String {
        switch self {
        case .noKnownTokens(let path):
            "\(path): no token of this text is in the vocabulary"
        case .diverged(let epoch, let step, let loss):
            "training diverged at epoch \(epoch), step \(step) (loss \(loss)); lower --lr or --clip; nothing non-finite was saved"
        case .interrupted(let signal):
            "interrupted by signal \(signal)"
        case .processesHoldDifferentWeights:
            "the training processes hold different weights: they started from different checkpoints, or their updates differed"
        case .processesReadDifferentTexts:
            "the training processes read different texts: every machine needs the same corpus and validation text at the same path, and the same lmtool"
        case .shardsDoNotSplitBatch(let streams, let shards):
            "--shards \(shards) does not divide the \(streams) streams each process trains: choose a number of shards that divides them (the batch, over the processes)"
        }
    }
}
