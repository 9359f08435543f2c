import Foundation

/// The vocabulary file beside a model, `vocab.tsv`: one `token<TAB>count` line per id, in
/// id order. Backslash, tab, line feed and carriage return inside a token (possible in
/// character mode) are written `\\`, `\t`, `\n`, `\r`.
extension Vocabulary {
    public enum FileError: Error, Equatable, CustomStringConvertible {
        case malformed(path: String, line: Int, reason: String)

        public var description: String {
            switch self {
            case .malformed(let path, let line, let reason): "\(path): line \(line): \(reason)"
            }
        }
    }

    /// The file's contents.
    public var fileContents: Data {
        var text = ""
        for (token, count) in zip(tokens, counts) {
            text += Self.escape(token) + "\t" + String(count) + "\n"
        }
        return Data(text.utf8)
    }

    /// Reads a vocabulary file written by ``fileContents``.
    /// - Throws: ``CorpusError`` when the file cannot be read, ``FileError`` naming the
    ///   line when its contents are malformed.
    public init(contentsOf path: String) throws {
        var tokens: [String] = []
        var counts: [Int] = []
        var seen = Set<String>()
        try LineReader(path: path).forEachLine { units, lineNumber in
            let line = String(decoding: units, as: UTF16.self)
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2, let count = Int(fields[1]), count >= 0 else {
                throw FileError.malformed(path: path, line: lineNumber, reason: "expected 'token<TAB>count'")
            }
            guard let token = Self.unescape(fields[0]), !token.isEmpty else {
                throw FileError.malformed(path: path, line: lineNumber, reason: "bad token escape or empty token")
            }
            guard seen.insert(token).inserted else {
                throw FileError.malformed(path: path, line: lineNumber, reason: "token '\(token)' appears twice")
            }
            tokens.append(token)
            counts.append(count)
        }
        guard tokens.count >= 2, tokens[0] == SpecialToken.unknown, tokens[1] == SpecialToken.endOfLine else {
            throw FileError.malformed(path: path, line: 1, reason: "the first two tokens must be <unk> and <eos>")
        }
        self.init(tokens: tokens, counts: counts)
    }

    static func escape(_ token: String) -> String {
        var escaped = ""
        for character in token.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\t": escaped += "\\t"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    static func unescape(_ field: Substring) -> String? {
        var result = ""
        var escaping = false
        for character in field.unicodeScalars {
            if escaping {
                switch character {
                case "\\": result += "\\"
                case "t": result += "\t"
                case "n": result += "\n"
                case "r": result += "\r"
                default: return nil
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.unicodeScalars.append(character)
            }
        }
        return escaping ? nil : result
    }
}
