/// Why a text file cannot be read as a corpus; each description is one line naming the
/// file and, where there is one, the place.
public enum CorpusError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case unreadable(path: String, reason: String)
    case isDirectory(path: String)
    case invalidUTF8(path: String, line: Int, byteOffset: Int)
    case binary(path: String, byteOffset: Int)
    case empty(path: String)
    case noTokens(path: String)

    public var description: String {
        LineReader.name(of: path) + fileDescription.dropFirst(path.count)
    }

    /// The description naming the file by its path.
    private var fileDescription: String {
        switch self {
        case .missing(let path): "\(path): no such file"
        case .unreadable(let path, let reason): "\(path): cannot be read (\(reason))"
        case .isDirectory(let path): "\(path): is a directory, not a text file"
        case .invalidUTF8(let path, let line, let offset):
            "\(path): invalid UTF-8 at line \(line), byte offset \(offset)"
        case .binary(let path, let offset):
            "\(path): looks like a binary file (NUL byte at byte offset \(offset)), not UTF-8 text"
        case .empty(let path): "\(path): the file is empty"
        case .noTokens(let path): "\(path): the file holds no tokens"
        }
    }

    /// The file the error is about; ``LineReader/standardInput`` for standard input.
    public var path: String {
        switch self {
        case .missing(let path), .unreadable(let path, _), .isDirectory(let path), .invalidUTF8(let path, _, _),
            .binary(let path, _), .empty(let path), .noTokens(let path):
            path
        }
    }
}
