import Foundation
import LMNetwork
import LMStore
import LMTensor
import LMText
import LMTraining

/// What the fuzzers feed arbitrary bytes to: every reader of a file a user can hand
/// lmtool. Each target writes the bytes where the reader expects a file and reads it;
/// any outcome but a thrown error or a result is a bug (a trap, a sanitizer report, a
/// hang, or an allocation beyond libFuzzer's limit).
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// `model.safetensors` in a directory with a valid config and vocabulary (the model
    /// loader: safetensors header and layout checks, shapes and cell type against the config).
    case model
    /// `config.json`, read and then checked against the vocabulary and weights.
    case config
    /// A corpus read by every tokenizer mode, counted, encoded and detokenized.
    case tokenizer
    /// `vocab.tsv`.
    case vocabulary
    /// `tokenizer.model`, the SentencePiece model of a subword model (SentencePiece's
    /// parser included), and when it loads, a text encoded and decoded with it.
    case subwordModel = "subword-model"

    /// Runs the target on `bytes`, using `directory` (created once) for its files.
    package func run(_ bytes: Data, in directory: FuzzDirectory) {
        switch self {
        case .model:
            directory.write(bytes, to: directory.model.weightsPath)
            _ = try? directory.model.load()
        case .config:
            directory.write(bytes, to: directory.model.configPath)
            _ = try? directory.model.load()
        case .tokenizer:
            directory.write(bytes, to: directory.textPath)
            for mode in TokenizerOptions.Mode.allCases {
                let options = TokenizerOptions(mode: mode, lowercase: mode == .word, keepPunctuation: mode != .word)
                let tokenizer = Tokenizer(options: options, subwordModel: mode == .subword ? directory.subwordModel : nil)
                guard let corpus = try? Corpus.tokenize(path: directory.textPath, tokenizer: tokenizer) else { continue }
                let vocabulary = Vocabulary(counts: corpus.counts, minCount: 1, maxSize: 64)
                let encoded = corpus.encoded(0..<corpus.stream.count, with: vocabulary)
                _ = Detokenizer(mode: mode).join(encoded.ids.map { vocabulary.token(at: $0) })
            }
        case .vocabulary:
            directory.write(bytes, to: directory.model.vocabularyPath)
            _ = try? Vocabulary(contentsOf: directory.model.vocabularyPath)
        case .subwordModel:
            directory.write(bytes, to: directory.model.subwordModelPath)
            guard let model = try? SubwordModel(contentsOf: directory.model.subwordModelPath) else { return }
            let tokenizer = Tokenizer(options: TokenizerOptions(mode: .subword), subwordModel: model)
            _ = Detokenizer(mode: .subword).join(tokenizer.tokens(in: FuzzDirectory.sampleText))
        }
    }
}

/// A scratch model directory holding a valid tiny model (config, vocabulary, weights),
/// whose files the targets overwrite one at a time.
package final class FuzzDirectory {
    package let model: ModelDirectory
    package let textPath: String
    /// A small subword model, for the tokenizer target's subword mode and as the
    /// subword-model target's valid seed.
    package let subwordModel: SubwordModel
    private let validFiles: [String: Data]

    /// Text in several scripts, the tokenizer target's valid seed.
    static let sampleText = "Hello, world! 안녕하세요.\n日本語のテキスト 👩‍👩‍👧 <unk>\r\n"

    package init() throws {
        let root = NSTemporaryDirectory() + "lmtool-fuzz-\(getpid())-\(UUID().uuidString)"
        model = ModelDirectory(path: root)
        textPath = root + "/text.txt"
        try model.create()
        let vocabulary = Vocabulary(counts: ["a": 3, "b": 2, "c": 1])
        let configuration = ModelConfiguration(
            vocabularySize: vocabulary.count, embeddingSize: 3, hiddenSize: 4, layers: 1, cell: .lstm)
        var generator = RandomGenerator(seed: 1)
        let network = try LanguageModel(configuration: configuration, generator: &generator)
        try model.write(
            manifest: ModelManifest(
                lmtoolVersion: "fuzz", model: configuration, tokenizer: TokenizerOptions(), minCount: 1, maxVocabulary: nil,
                training: TrainingOptions(), corpus: "fuzz", validation: nil, validationFraction: 0.05))
        try model.write(vocabulary: vocabulary)
        try model.writeWeights(of: network)
        subwordModel = try SubwordModel.train(
            lines: (0..<200).map { "\($0) " + Self.sampleText.replacingOccurrences(of: "\n", with: " ") }, algorithm: .unigram,
            vocabularySize: 320, threads: 1, seed: 1)
        validFiles = try [model.configPath, model.vocabularyPath, model.weightsPath].reduce(into: [:]) {
            $0[$1] = try Data(contentsOf: URL(fileURLWithPath: $1))
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: model.path) }

    /// Writes `bytes` to `path` and restores the directory's other files.
    func write(_ bytes: Data, to path: String) {
        for (validPath, contents) in validFiles where validPath != path {
            try? contents.write(to: URL(fileURLWithPath: validPath))
        }
        try? bytes.write(to: URL(fileURLWithPath: path))
    }

    /// The valid file each target starts from, as a seed.
    package func validSeed(for target: FuzzTarget) -> Data {
        switch target {
        case .model: validFiles[model.weightsPath]!
        case .config: validFiles[model.configPath]!
        case .vocabulary: validFiles[model.vocabularyPath]!
        case .tokenizer: Data(Self.sampleText.utf8)
        case .subwordModel: subwordModel.serialized
        }
    }
}
