/// Why training cannot start or go on; each description is one line for the CLI.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case noKnownTokens(path: String)
    case diverged(epoch: Int, step: Int, loss: Float)
    case interrupted(signal: Int32)
    /// The processes of a data-parallel run hold different weights.
    case processesDisagree

    public var description: String {
        switch self {
        case .noKnownTokens(let path):
            "\(path): no token of this text is in the vocabulary"
        case .diverged(let epoch, let step, let loss):
            "training diverged at epoch \(epoch), step \(step) (loss \(loss)); lower --lr or --clip; nothing non-finite was saved"
        case .interrupted(let signal):
            "interrupted by signal \(signal)"
        case .processesDisagree:
            "the training processes' weights differ: their updates were not the same; the last checkpoint before this one is consistent"
        }
    }
}
