import CSentencePiece
import Foundation

/// A trained SentencePiece model (Kudo & Richardson 2018): the subword units of
/// `--tokenizer subword`, stored beside a model as `tokenizer.model` in SentencePiece's
/// own format, so Python's `sentencepiece` loads it and gives the same ids.
///
/// Ids: `<unk>` is 0 and `<eos>` 1, as in every lmtool vocabulary, then the 256 byte
/// pieces `<0x00>` … `<0xFF>` (byte fallback: a character the model has no piece for is
/// spelled in its UTF-8 bytes, so no text maps to `<unk>`), then the learned pieces. A
/// piece that follows white space starts with `▁` (U+2581), so decoding the pieces of a
/// line gives the line back exactly.
public struct SubwordModel: Sendable, Equatable {
    /// The model in SentencePiece's serialized form (the bytes of `tokenizer.model`).
    public let serialized: Data
    /// Every piece, in id order.
    public let pieces: [String]

    /// Larger files are refused before SentencePiece parses them (a model of a million
    /// pieces takes about 30 MB).
    static let largestFile = 64 << 20

    /// The piece-segmentation algorithm SentencePiece trains.
    public enum Algorithm: String, Codable, CaseIterable, Sendable {
        /// Unigram language model over pieces (Kudo 2018), one-best segmentation.
        case unigram
        /// Byte-pair encoding (Sennrich et al. 2016).
        case bpe
    }

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case notAModel(path: String, reason: String)
        case wrongLayout(path: String, reason: String)

        public var description: String {
            switch self {
            case .notAModel(let path, let reason): "\(path): not a SentencePiece model (\(reason))"
            case .wrongLayout(let path, let reason): "\(path): not a tokenizer written by lmtool train (\(reason))"
            }
        }
    }

    public enum TrainingError: Error, Equatable, CustomStringConvertible {
        /// The text's characters (those within SentencePiece's coverage) and the 258
        /// special and byte pieces need more pieces than were asked for.
        case vocabularyTooSmall(asked: Int, needed: Int)
        case failed(reason: String)

        public var description: String {
            switch self {
            case .vocabularyTooSmall(let asked, let needed):
                "--vocab-size \(asked) is too small for this text: its characters and the 258 special and byte pieces need \(needed); pass --vocab-size \(needed) or more"
            case .failed(let reason): "the subword tokenizer could not be trained: \(reason)"
            }
        }

        /// SentencePiece's message for a vocabulary smaller than the required characters
        /// ends "... required_chars. ASKED vs NEEDED. Increase vocab_size ...".
        init(sentencePieceMessage message: String) {
            if let range = message.range(of: "required_chars. "),
                case let numbers = message[range.upperBound...].split(separator: " "), numbers.count >= 3,
                let asked = Int(numbers[0]), numbers[1] == "vs", let needed = Int(numbers[2].trimmingCharacters(in: .punctuationCharacters))
            {
                self = .vocabularyTooSmall(asked: asked, needed: needed)
            } else {
                self = .failed(reason: message)
            }
        }
    }

    /// Reads a model from `serialized` (the file at `path`, named in errors): it must load
    /// in SentencePiece and have lmtool's id layout.
    public init(serialized: Data, path: String) throws(LoadError) {
        guard !serialized.isEmpty else { throw .notAModel(path: path, reason: "the file is empty") }
        guard serialized.count <= Self.largestFile else {
            throw .notAModel(path: path, reason: "\(serialized.count) bytes, more than a tokenizer of 1 million pieces needs")
        }
        let processor: SentencePieceProcessor
        do { processor = try SentencePieceProcessor(serialized: serialized) } catch {
            throw .notAModel(path: path, reason: error.reason)
        }
        let pieces = processor.pieces
        guard pieces.count > 2, pieces[0] == SpecialToken.unknown, pieces[1] == SpecialToken.endOfLine,
            processor.isSpecial(0), processor.isSpecial(1)
        else {
            throw .wrongLayout(path: path, reason: "ids 0 and 1 must be the pieces <unk> and <eos>")
        }
        self.serialized = serialized
        self.pieces = pieces
    }

    /// Reads `tokenizer.model` at `path`.
    public init(contentsOf path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw CorpusError.missing(path: path) }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CorpusError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        try self.init(serialized: data, path: path)
    }

    /// Trains a model on `lines` (already normalised as the tokenizer will read text).
    /// - Parameters:
    ///   - vocabularySize: pieces in all, specials and the 256 byte pieces included.
    ///   - sampleLines: at most this many lines, drawn at random, feed the trainer.
    ///   - threads: SentencePiece's training threads.
    ///   - seed: its sampling seed: the same lines, settings and seed give the same model.
    public static func train(
        lines: [String], algorithm: Algorithm, vocabularySize: Int, sampleLines: Int = 2_000_000, threads: Int,
        seed: UInt32
    ) throws(TrainingError) -> SubwordModel {
        let options = [
            "--model_type=\(algorithm.rawValue)", "--vocab_size=\(vocabularySize)",
            // lmtool normalises (NFC, optional case folding) before SentencePiece sees text;
            // its own rules would rewrite characters (compatibility jamo, full-width forms)
            // and spaces, and the text scored would no longer be the user's.
            "--normalization_rule_name=identity", "--remove_extra_whitespaces=false", "--split_by_whitespace=true",
            "--character_coverage=0.9995", "--byte_fallback=true",
            "--unk_id=0", "--eos_id=1", "--bos_id=-1", "--pad_id=-1", "--unk_piece=<unk>", "--eos_piece=<eos>",
            "--input_sentence_size=\(sampleLines)", "--shuffle_input_sentence=true",
            "--max_sentence_length=65536", "--num_threads=\(max(1, threads))",
            "--hard_vocab_limit=false",
        ].joined(separator: " ")
        var source = LineSource(lines: lines)
        var model: UnsafeMutablePointer<CChar>?
        var length = 0
        var message = [CChar](repeating: 0, count: 512)
        let trained = withUnsafeMutablePointer(to: &source) { context in
            csp_train(options, seed, { context, text, length in
                context!.assumingMemoryBound(to: LineSource.self).pointee.next(text!, length!)
            }, context, &model, &length, &message, message.count)
        }
        guard trained == 1, let model else {
            throw TrainingError(sentencePieceMessage: String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { free(model) }
        let serialized = Data(bytes: model, count: length)
        do { return try SubwordModel(serialized: serialized, path: "(trained)") } catch {
            throw .failed(reason: error.description)
        }
    }

    /// A vocabulary size suited to a training text of `characters` characters: 4,000
    /// pieces for up to 1 million, 8,000 up to 10 million, 16,000 up to 100 million,
    /// 32,000 beyond (the range Korean and multilingual LSTM models use).
    public static func defaultVocabularySize(characters: Int) -> Int {
        switch characters {
        case ..<1_000_000: 4_000
        case ..<10_000_000: 8_000
        case ..<100_000_000: 16_000
        default: 32_000
        }
    }

    /// Hands the training lines to SentencePiece one at a time, as UTF-8.
    private struct LineSource {
        var lines: [String]
        var index = 0
        var current: [CChar] = []

        mutating func next(_ text: UnsafeMutablePointer<UnsafePointer<CChar>?>, _ length: UnsafeMutablePointer<Int>) -> Int32 {
            guard index < lines.count else { return 0 }
            current = Array(lines[index].utf8CString.dropLast())
            index += 1
            current.withUnsafeBufferPointer { text.pointee = $0.baseAddress }
            length.pointee = current.count
            return 1
        }
    }
}

/// One thread's SentencePiece processor: encodes normalised lines into piece ids and
/// decodes ids into text. Owns the C object.
final class SentencePieceProcessor {
    struct Failure: Error { let reason: String }

    private let processor: OpaquePointer
    private var utf8: [UInt8] = []

    init(serialized: Data) throws(Failure) {
        var message = [CChar](repeating: 0, count: 512)
        let loaded = serialized.withUnsafeBytes { bytes in
            csp_load(bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count, &message, message.count)
        }
        guard let loaded else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw Failure(reason: reason.isEmpty ? "SentencePiece cannot load it" : reason)
        }
        processor = loaded
    }

    deinit { csp_free(processor) }

    var pieces: [String] {
        (0..<csp_piece_count(processor)).map { id in
            var length = 0
            let bytes = csp_piece(processor, id, &length)
            return String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
        }
    }

    func isSpecial(_ id: Int32) -> Bool { csp_is_special(processor, id) == 1 }

    func isByte(_ id: Int32) -> Bool { csp_is_byte(processor, id) == 1 }

    /// Calls `body` with the piece ids of `line` (UTF-16, one line, no line end).
    func encode(_ line: UnsafeBufferPointer<UInt16>, _ body: (UnsafeBufferPointer<Int32>) -> Void) {
        if utf8.count < 3 * line.count { utf8 = Array(repeating: 0, count: 3 * line.count + 16) }
        var ids: UnsafePointer<Int32>?
        let count = utf8.withUnsafeMutableBufferPointer { bytes in
            let length = Self.encodeUTF8(line, into: bytes)
            return bytes.withMemoryRebound(to: CChar.self) { csp_encode(processor, $0.baseAddress, length, &ids) }
        }
        body(UnsafeBufferPointer(start: ids, count: max(0, Int(count))))
    }

    /// Writes `text` (UTF-16; an unpaired surrogate becomes U+FFFD) as UTF-8 into `bytes`,
    /// which holds at least 3 bytes per unit, and returns the length.
    static func encodeUTF8(_ text: UnsafeBufferPointer<UInt16>, into bytes: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var out = 0
        var index = 0
        while index < text.count {
            var scalar = UInt32(text[index])
            index += 1
            if scalar < 0x80 {
                bytes[out] = UInt8(scalar)
                out += 1
                continue
            }
            if scalar & 0xFC00 == 0xD800, index < text.count, text[index] & 0xFC00 == 0xDC00 {
                scalar = 0x10000 + ((scalar & 0x3FF) << 10) + UInt32(text[index] & 0x3FF)
                index += 1
            } else if scalar & 0xF800 == 0xD800 {
                scalar = 0xFFFD
            }
            if scalar < 0x800 {
                bytes[out] = UInt8(0xC0 | (scalar >> 6))
                bytes[out + 1] = UInt8(0x80 | (scalar & 0x3F))
                out += 2
            } else if scalar < 0x10000 {
                bytes[out] = UInt8(0xE0 | (scalar >> 12))
                bytes[out + 1] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
                bytes[out + 2] = UInt8(0x80 | (scalar & 0x3F))
                out += 3
            } else {
                bytes[out] = UInt8(0xF0 | (scalar >> 18))
                bytes[out + 1] = UInt8(0x80 | ((scalar >> 12) & 0x3F))
                bytes[out + 2] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
                bytes[out + 3] = UInt8(0x80 | (scalar & 0x3F))
                out += 4
            }
        }
        return out
    }

    /// The text of `ids` (byte pieces joined into characters, `▁` into spaces, the line's
    /// leading `▁` dropped), or nil when an id is out of range.
    func decode(_ ids: [Int32]) -> String? {
        var text: UnsafePointer<CChar>?
        let length = ids.withUnsafeBufferPointer { csp_decode(processor, $0.baseAddress, $0.count, &text) }
        guard length >= 0, let text else { return length == 0 ? "" : nil }
        return String(decoding: UnsafeRawBufferPointer(start: text, count: Int(length)), as: UTF8.self)
    }
}

extension SubwordModel {
    /// A model trained on a text file, and how much of the file it was trained on.
    public struct Trained: Sendable {
        public let model: SubwordModel
        /// Lines of the file's training part (the rest is held out).
        public let trainingLines: Int
        /// Characters of the training part, line ends included.
        public let trainingCharacters: Int
    }

    /// Trains a subword model on the file at `path`, read with `options`' normalisation,
    /// leaving out its last `heldOutFraction` of characters (cut at a line start), which
    /// the caller holds out for validation: the tokenizer never sees held-out text.
    public static func train(
        path: String, options: TokenizerOptions, heldOutFraction: Double, threads: Int, seed: UInt64
    ) throws -> Trained {
        guard path != LineReader.standardInput else {
            throw TrainingError.failed(
                reason: "it reads its text twice (to train, then to encode), and standard input only once: save the text to a file")
        }
        let normalizer = TextNormalizer(options: options)
        var lines: [String] = []
        var lineCharacters: [Int] = []
        let summary = try LineReader(path: path).forEachLine { line, _ in
            let text = normalizer.normalize(line)
            lines.append(String(decoding: text, as: UTF16.self))
            lineCharacters.append(Tokenizer.scalarCount(text) + 1)
        }
        if summary.bytes == 0 { throw CorpusError.empty(path: path) }
        let total = lineCharacters.reduce(0, +)
        var trainingLines = lines.count
        var trainingCharacters = total
        if heldOutFraction > 0 {
            let target = Double(total) * (1 - heldOutFraction)
            trainingCharacters = 0
            trainingLines = 0
            while trainingLines < lines.count && Double(trainingCharacters + lineCharacters[trainingLines]) <= target {
                trainingCharacters += lineCharacters[trainingLines]
                trainingLines += 1
            }
            if trainingLines == 0 { (trainingLines, trainingCharacters) = (lines.count, total) }
        }
        lines.removeSubrange(trainingLines...)
        let algorithm = options.subwordAlgorithm ?? .unigram
        let seed = UInt32(truncatingIfNeeded: seed)
        let size = options.subwordVocabularySize ?? defaultVocabularySize(characters: trainingCharacters)
        var result = Result { () throws(TrainingError) in
            try train(lines: lines, algorithm: algorithm, vocabularySize: size, threads: threads, seed: seed)
        }
        // The default size is a suggestion: a text with more distinct characters (Chinese,
        // say) gets room for them and as many pieces again.
        if options.subwordVocabularySize == nil, case .failure(.vocabularyTooSmall(_, let needed)) = result {
            result = Result { () throws(TrainingError) in
                try train(lines: lines, algorithm: algorithm, vocabularySize: 2 * needed, threads: threads, seed: seed)
            }
        }
        let model = try result.get()
        return Trained(model: model, trainingLines: trainingLines, trainingCharacters: trainingCharacters)
    }
}
