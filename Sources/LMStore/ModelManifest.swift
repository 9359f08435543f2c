import Foundation
import LMNetwork
import LMText
import LMTraining

/// `config.json` of a model directory: everything needed to rebuild the model and read
/// text as it was trained, plus the training settings for the record.
public struct ModelManifest: Codable, Equatable, Sendable {
    public static let formatName = "lmtool-model"
    /// Raised when the directory layout or a file's meaning changes; older readers refuse
    /// newer directories instead of misreading them.
    public static let currentFormatVersion = 1

    public var format = Self.formatName
    public var formatVersion = Self.currentFormatVersion
    public var lmtoolVersion: String
    public var model: ModelConfiguration
    public var tokenizer: TokenizerOptions
    public var vocabularySize: Int
    public var minCount: Int
    public var maxVocabulary: Int?
    public var training: TrainingOptions
    /// The training text, as given.
    public var corpus: String
    /// The validation text, or nil when the corpus's tail was held out.
    public var validation: String?
    /// Share of the corpus held out for validation when `validation` is nil.
    public var validationFraction: Double
    /// Processes of the data-parallel run that trains the model (`mpirun -np N`), which
    /// `--resume` keeps; absent (nil) for one process.
    public var processes: Int?

    public init(
        lmtoolVersion: String, model: ModelConfiguration, tokenizer: TokenizerOptions, minCount: Int,
        maxVocabulary: Int?, training: TrainingOptions, corpus: String, validation: String?,
        validationFraction: Double
    ) {
        self.lmtoolVersion = lmtoolVersion
        self.model = model
        self.tokenizer = tokenizer
        vocabularySize = model.vocabularySize
        self.minCount = minCount
        self.maxVocabulary = maxVocabulary
        self.training = training
        self.corpus = corpus
        self.validation = validation
        self.validationFraction = validationFraction
    }

    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return ((try? encoder.encode(self)) ?? Data()) + Data("\n".utf8)
    }

    /// Reads and checks `config.json`.
    public static func read(path: String) throws(StoreError) -> ModelManifest {
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path: path) }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        struct Header: Decodable {
            var format: String?
            var formatVersion: Int?
        }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw .config(path: path, detail: "not a JSON object")
        }
        guard header.format == formatName else {
            throw .config(path: path, detail: "not an lmtool model config (format '\(header.format ?? "none")')")
        }
        guard let version = header.formatVersion, version >= 1 else {
            throw .config(path: path, detail: "unknown format version")
        }
        guard version <= currentFormatVersion else {
            throw .config(
                path: path,
                detail: "format version \(version) is newer than this lmtool reads (\(currentFormatVersion)); upgrade lmtool")
        }
        let manifest: ModelManifest
        do { manifest = try JSONDecoder().decode(ModelManifest.self, from: data) } catch let error as DecodingError {
            throw .config(path: path, detail: describe(error))
        } catch {
            throw .config(path: path, detail: "\(error)")
        }
        do { try manifest.model.validate() } catch { throw .config(path: path, detail: "model: \(error)") }
        guard manifest.vocabularySize == manifest.model.vocabularySize else {
            throw .config(path: path, detail: "vocabularySize \(manifest.vocabularySize) disagrees with model.vocabularySize \(manifest.model.vocabularySize)")
        }
        return manifest
    }

    private static func describe(_ error: DecodingError) -> String {
        func field(_ path: [CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context): return "missing field '\(field(context.codingPath + [key]))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field '\(field(context.codingPath))' has the wrong type"
        case .dataCorrupted(let context): return "field '\(field(context.codingPath))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
