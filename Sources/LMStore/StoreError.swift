/// Why a model file cannot be read or written; each description is one line naming the
/// file and the place (byte offset, tensor name).
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case missingFile(path: String)
    case unreadable(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case truncated(path: String, detail: String)
    case headerTooLarge(path: String, length: UInt64, fileSize: Int)
    case malformedHeader(path: String, detail: String)
    case badTensor(path: String, name: String, detail: String)
    case layout(path: String, detail: String)
    case missingTensor(path: String, name: String)
    case unexpectedTensor(path: String, name: String)
    case shapeMismatch(path: String, name: String, expected: [Int], found: [Int])
    case cellMismatch(path: String, name: String, stored: String, configured: String)
    case config(path: String, detail: String)
    case locked(path: String, owner: String)
    /// A model directory whose training has not yet reached its first validation.
    case notValidatedYet(path: String)

    public var description: String {
        switch self {
        case .missingFile(let path): "\(path): no such file (is this a model directory written by lmtool train?)"
        case .unreadable(let path, let reason): "\(path): cannot be read (\(reason))"
        case .writeFailed(let path, let reason): "\(path): cannot be written (\(reason)); the previous file is unchanged"
        case .truncated(let path, let detail): "\(path): truncated: \(detail)"
        case .headerTooLarge(let path, let length, let size):
            "\(path): header length \(length) at byte 0 runs past the end of the file (\(size) bytes)"
        case .malformedHeader(let path, let detail): "\(path): bad safetensors header: \(detail)"
        case .badTensor(let path, let name, let detail): "\(path): tensor '\(name)': \(detail)"
        case .layout(let path, let detail): "\(path): bad data layout: \(detail)"
        case .missingTensor(let path, let name): "\(path): tensor '\(name)' is missing"
        case .unexpectedTensor(let path, let name): "\(path): unexpected tensor '\(name)' (a model of another kind?)"
        case .shapeMismatch(let path, let name, let expected, let found):
            "\(path): tensor '\(name)' has shape \(found), the config needs \(expected)"
        case .cellMismatch(let path, let name, let stored, let configured):
            "\(path): tensor '\(name)' belongs to a \(stored) model, but config.json says \(configured)"
        case .config(let path, let detail): "\(path): \(detail)"
        case .locked(let path, let owner): "\(path): another lmtool process (\(owner)) is writing this model directory"
        case .notValidatedYet(let path):
            "\(path): no model yet: its training has not reached its first validation (the end of an epoch or of the time budget); wait for it, or continue the run with: lmtool train --resume \(path)"
        }
    }
}
