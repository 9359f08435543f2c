import Foundation
import LMText

/// `ids.bin` in a model directory: the training corpus in the vocabulary's ids, written
/// once (``build(at:corpus:key:split:threads:makeTokenizer:vocabulary:)``) and mapped for
/// training (``TokenIDs``), so that a corpus larger than memory is paged in window by
/// window. All numbers little-endian:
///
///     bytes  0..<8    magic "lmtoolID"
///            8..<12   version (UInt32, 2)
///           12..<16   header bytes (UInt32, 96): where the ids start
///           16..<48   the key (``Key``): vocabulary, settings, corpus size, corpus time
///           48..<56   N, the ids
///           56..<64   training ids: the first ones; the rest is held out for validation
///           64..<72   characters of the held-out lines (line ends included)
///           72..<80   held-out ids that are <unk>
///           80..<88   what the held-out <unk>s cost to spell, in bits (Float64)
///           88..<96   zero
///           96..      [N] Int32 ids
///
/// The file is used only when its key is the one expected: the same vocabulary, tokenizer
/// settings and held-out share, and a corpus of the same size and modification time.
public struct TokenIDFile: Sendable {
    /// What the ids were made from; any change makes the file stale.
    public struct Key: Equatable, Sendable {
        /// FNV-1a (64 bits) of the vocabulary's file (`vocab.tsv`).
        public var vocabulary: UInt64
        /// FNV-1a (64 bits) of the tokenizer's settings, its subword model and the held-out share.
        public var settings: UInt64
        public var corpusBytes: UInt64
        /// Nanoseconds since 1970.
        public var corpusModified: Int64

        /// The key of `corpus` read with these settings, or nil for standard input, whose
        /// text cannot be told apart from another's (its ids are never reused), and for a
        /// corpus that cannot be examined (reading it will say why).
        public init?(
            vocabulary: Vocabulary, tokenizer: TokenizerOptions, subwordModel: SubwordModel?, heldOutFraction: Double,
            corpus: String
        ) {
            guard let identity = Self.corpusIdentity(corpus) else { return nil }
            self.vocabulary = FNV1a64.hash(vocabulary.fileContents)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            var settings = (try? encoder.encode(tokenizer)) ?? Data()
            settings.append(contentsOf: "\nheld out \(heldOutFraction.bitPattern)\n".utf8)
            if let subwordModel { settings.append(subwordModel.serialized) }
            self.settings = FNV1a64.hash(settings)
            (corpusBytes, corpusModified) = identity
        }

        init(vocabulary: UInt64, settings: UInt64, corpusBytes: UInt64, corpusModified: Int64) {
            self.vocabulary = vocabulary
            self.settings = settings
            self.corpusBytes = corpusBytes
            self.corpusModified = corpusModified
        }
    }

    /// `[N]`: the training ids, then the held-out ones.
    public let ids: TokenIDs
    /// Ids `0 ..< trainingCount` train; the rest are held out for validation.
    public let trainingCount: Int
    public let heldOutCharacters: Int
    public let heldOutUnknown: Int
    /// What the held-out `<unk>`s cost to spell (``LMText/SpellingModel``), in bits.
    public let heldOutUnknownSpellingBits: Double

    public var training: TokenIDs { ids.subrange(0..<trainingCount) }
    public var heldOut: TokenIDs { ids.subrange(trainingCount..<ids.count) }

    static let magic = Array("lmtoolID".utf8)
    static let version: UInt32 = 2
    static let headerBytes = 96

    /// What ``open(at:key:vocabularySize:)`` found.
    public enum Opened: Sendable {
        case current(TokenIDFile)
        /// Missing, damaged or made from something else: why, in a few words.
        case unusable(reason: String)
    }

    /// Maps the file at `path` when it is whole and its key is `key`; says why not
    /// otherwise. Every id is checked to lie below `vocabularySize` (the pages read go
    /// back to the kernel as the check goes).
    public static func open(at path: String, key: Key, vocabularySize: Int) -> Opened {
        guard let handle = FileHandle(forReadingAtPath: path) else { return .unusable(reason: "no such file") }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), (try? handle.seek(toOffset: 0)) != nil,
            let header = try? handle.read(upToCount: headerBytes), header.count == headerBytes
        else { return .unusable(reason: "truncated: shorter than its \(headerBytes)-byte header") }
        let fields = Header(header)
        guard Array(header.prefix(8)) == magic else { return .unusable(reason: "not an lmtool id file (bad magic)") }
        guard fields.version == version, fields.headerBytes == headerBytes else {
            return .unusable(reason: "version \(fields.version), this lmtool reads version \(version)")
        }
        if fields.key.vocabulary != key.vocabulary { return .unusable(reason: "made with another vocabulary") }
        if fields.key.settings != key.settings { return .unusable(reason: "made with other tokenizer settings") }
        if fields.key.corpusBytes != key.corpusBytes || fields.key.corpusModified != key.corpusModified {
            return .unusable(reason: "the corpus changed since (size or modification time)")
        }
        let count = Int(clamping: fields.count)
        guard size == UInt64(headerBytes) + 4 * UInt64(count), fields.trainingCount <= fields.count else {
            return .unusable(reason: "truncated or padded: \(size) bytes for the \(count) ids its header declares")
        }
        guard let ids = try? TokenIDs(mappingFile: path, offset: headerBytes, count: count) else {
            return .unusable(reason: "cannot be mapped")
        }
        let blocks = stride(from: 0, to: count, by: 1 << 20).map { $0..<min($0 + 1 << 20, count) }
        let outside = blocks.contains { block in
            defer { ids.releaseReadPages() }
            return ids.withUnsafeBufferPointer { ids in ids[block].contains { $0 < 0 || Int($0) >= vocabularySize } }
        }
        if outside { return .unusable(reason: "holds ids outside the vocabulary") }
        return .current(
            TokenIDFile(
                ids: ids, trainingCount: Int(fields.trainingCount), heldOutCharacters: Int(fields.heldOutCharacters),
                heldOutUnknown: Int(fields.heldOutUnknown),
                heldOutUnknownSpellingBits: Double(bitPattern: fields.heldOutUnknownSpellingBits)))
    }

    init(ids: TokenIDs, trainingCount: Int, heldOutCharacters: Int, heldOutUnknown: Int, heldOutUnknownSpellingBits: Double) {
        self.ids = ids
        self.trainingCount = trainingCount
        self.heldOutCharacters = heldOutCharacters
        self.heldOutUnknown = heldOutUnknown
        self.heldOutUnknownSpellingBits = heldOutUnknownSpellingBits
    }
}

extension TokenIDFile {
    /// The header's fields, read from or written as its ``TokenIDFile/headerBytes`` bytes.
    struct Header {
        var version = TokenIDFile.version
        var headerBytes = UInt32(TokenIDFile.headerBytes)
        var key: Key
        var count: UInt64
        var trainingCount: UInt64
        var heldOutCharacters: UInt64
        var heldOutUnknown: UInt64
        /// The bit pattern of a Float64.
        var heldOutUnknownSpellingBits: UInt64

        init(
            key: Key, count: Int, trainingCount: Int, heldOutCharacters: Int, heldOutUnknown: Int,
            heldOutUnknownSpellingBits: Double
        ) {
            self.key = key
            self.count = UInt64(count)
            self.trainingCount = UInt64(trainingCount)
            self.heldOutCharacters = UInt64(heldOutCharacters)
            self.heldOutUnknown = UInt64(heldOutUnknown)
            self.heldOutUnknownSpellingBits = heldOutUnknownSpellingBits.bitPattern
        }

        /// Reads the fields of a header of the right length (the magic is checked apart).
        init(_ bytes: Data) {
            let bytes = [UInt8](bytes)
            func number(_ offset: Int, _ width: Int) -> UInt64 {
                (0..<width).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
            }
            version = UInt32(number(8, 4))
            headerBytes = UInt32(number(12, 4))
            key = Key(
                vocabulary: number(16, 8), settings: number(24, 8), corpusBytes: number(32, 8),
                corpusModified: Int64(bitPattern: number(40, 8)))
            count = number(48, 8)
            trainingCount = number(56, 8)
            heldOutCharacters = number(64, 8)
            heldOutUnknown = number(72, 8)
            heldOutUnknownSpellingBits = number(80, 8)
        }

        var bytes: Data {
            var bytes = TokenIDFile.magic
            func append(_ value: UInt64, _ width: Int) { for byte in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * byte))) } }
            append(UInt64(version), 4)
            append(UInt64(headerBytes), 4)
            for value in [key.vocabulary, key.settings, key.corpusBytes, UInt64(bitPattern: key.corpusModified), count, trainingCount, heldOutCharacters, heldOutUnknown, heldOutUnknownSpellingBits,
            ] {
                append(value, 8)
            }
            bytes += Array(repeating: 0, count: TokenIDFile.headerBytes - bytes.count)
            return Data(bytes)
        }
    }
}

/// FNV-1a over bytes, 64 bits.
enum FNV1a64 {
    static func hash(_ data: Data) -> UInt64 {
        data.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }
}
