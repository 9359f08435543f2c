import Foundation
import LMNetwork
import LMTensor
import LMText
import LMTraining

/// A model on disk:
///
///     config.json             ModelManifest: architecture, tokenizer, training settings
///     vocab.tsv               the vocabulary, id order
///     tokenizer.model         subword models: the SentencePiece model (its own format)
///     model.safetensors       the best weights, PyTorch parameter names
///     checkpoint.safetensors  weights, optimizer state, carried state + position (metadata)
///     ids.bin                 the training corpus in the vocabulary's ids (TokenIDFile), mapped for training
///     metrics.jsonl           one JSON object per log interval and per validation
///     training-curve.svg      train and validation perplexity by step
///
/// Every file is written atomically (`AtomicFile`).
public struct ModelDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public var configPath: String { path + "/config.json" }
    public var vocabularyPath: String { path + "/vocab.tsv" }
    public var subwordModelPath: String { path + "/tokenizer.model" }
    public var weightsPath: String { path + "/model.safetensors" }
    public var checkpointPath: String { path + "/checkpoint.safetensors" }
    public var idsPath: String { path + "/ids.bin" }
    public var metricsPath: String { path + "/metrics.jsonl" }
    public var plotPath: String { path + "/training-curve.svg" }

    /// A model ready to use, with what it was trained with.
    public struct Loaded {
        public let manifest: ModelManifest
        public let vocabulary: Vocabulary
        /// The subword model of a `--tokenizer subword` model, nil for the others.
        public let subwordModel: SubwordModel?
        public let model: LanguageModel

        /// A tokenizer that reads text as the model was trained to (one per thread).
        public func makeTokenizer() -> Tokenizer { Tokenizer(options: manifest.tokenizer, subwordModel: subwordModel) }
    }

    public func create() throws(StoreError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    public func write(manifest: ModelManifest) throws(StoreError) {
        try AtomicFile.write(manifest.encoded(), to: configPath)
    }

    public func write(vocabulary: Vocabulary) throws(StoreError) {
        try AtomicFile.write(vocabulary.fileContents, to: vocabularyPath)
    }

    public func write(subwordModel: SubwordModel) throws(StoreError) {
        try AtomicFile.write(subwordModel.serialized, to: subwordModelPath)
    }

    /// The vocabulary and, for a subword model, its SentencePiece model, checked against
    /// the manifest and each other.
    public func readTokens(manifest: ModelManifest) throws(StoreError) -> (Vocabulary, SubwordModel?) {
        guard FileManager.default.fileExists(atPath: vocabularyPath) else { throw .missingFile(path: vocabularyPath) }
        let vocabulary: Vocabulary
        do { vocabulary = try Vocabulary(contentsOf: vocabularyPath) } catch {
            throw .config(path: vocabularyPath, detail: "\(error)".replacingOccurrences(of: vocabularyPath + ": ", with: ""))
        }
        guard vocabulary.count == manifest.vocabularySize else {
            throw .config(
                path: vocabularyPath,
                detail: "\(vocabulary.count) tokens, but config.json declares a vocabulary of \(manifest.vocabularySize)")
        }
        guard manifest.tokenizer.mode == .subword else { return (vocabulary, nil) }
        guard FileManager.default.fileExists(atPath: subwordModelPath) else { throw .missingFile(path: subwordModelPath) }
        let subwordModel: SubwordModel
        do {
            subwordModel = try SubwordModel(serialized: try Data(contentsOf: URL(fileURLWithPath: subwordModelPath)), path: subwordModelPath)
        } catch let error as SubwordModel.LoadError {
            throw .config(path: subwordModelPath, detail: "\(error)".replacingOccurrences(of: subwordModelPath + ": ", with: ""))
        } catch {
            throw .unreadable(path: subwordModelPath, reason: (error as NSError).localizedDescription)
        }
        guard subwordModel.pieces == vocabulary.tokens else {
            throw .config(path: subwordModelPath, detail: "its pieces are not those of vocab.tsv (a file from another model)")
        }
        return (vocabulary, subwordModel)
    }

    /// Writes the model's weights (`decoder.weight` included when tied, as PyTorch's
    /// `state_dict` has it). Refuses non-finite weights.
    public func writeWeights(of model: LanguageModel, metadata: [String: String] = [:]) throws(StoreError) {
        let values = model.namedValues
        if let bad = values.first(where: { !$0.value.allSatisfy(\.isFinite) }) {
            throw .writeFailed(path: weightsPath, reason: "tensor '\(bad.key)' holds a non-finite value")
        }
        let file = SafeTensors(tensors: tensors(values, shapes: Self.shapes(of: model)), metadata: metadata)
        try AtomicFile.write(file.serialized(), to: weightsPath)
    }

    /// Loads config, vocabulary and best weights, checking that they agree.
    public func load() throws(StoreError) -> Loaded {
        let manifest = try ModelManifest.read(path: configPath)
        let (vocabulary, subwordModel) = try readTokens(manifest: manifest)
        try checkDeclaredSize(of: manifest.model)
        let model: LanguageModel
        do { model = try LanguageModel(configuration: manifest.model) } catch {
            throw .config(path: configPath, detail: "\(error)")
        }
        let file: SafeTensorsReader
        do {
            file = try SafeTensorsReader(path: weightsPath, expected: Self.shapes(of: model))
        } catch .shapeMismatch(let path, let name, let expected, let found) {
            throw Self.explainShapeMismatch(path: path, name: name, expected: expected, found: found, configuration: manifest.model)
        }
        // Straight into the parameters: no second copy of the weights is ever held.
        for parameter in model.parameters {
            try file.read(parameter.name, into: UnsafeMutableBufferPointer(start: parameter.value.pointer, count: parameter.value.count))
        }
        return Loaded(manifest: manifest, vocabulary: vocabulary, subwordModel: subwordModel, model: model)
    }

    /// Refuses, before anything is allocated, a configuration whose parameters the weights
    /// file is too small to hold (at 2 bytes each, the narrowest dtype read): a forged or
    /// mistaken config.json cannot make loading allocate more than the file could fill.
    private func checkDeclaredSize(of configuration: ModelConfiguration) throws(StoreError) {
        do { try configuration.validate() } catch { throw .config(path: configPath, detail: "\(error)") }
        let size = (try? FileManager.default.attributesOfItem(atPath: weightsPath)[.size] as? Int) ?? nil
        guard let size else {
            if FileManager.default.fileExists(atPath: checkpointPath) { throw .notValidatedYet(path: path) }
            throw .missingFile(path: weightsPath)
        }
        guard let count = configuration.parameterCount, count <= size / 2 else {
            // A weights file cut short is the weights file's fault, not the config's.
            _ = try SafeTensorsReader(path: weightsPath)
            let declared = configuration.parameterCount.map { "\($0)" } ?? "more than 2^63"
            throw .config(
                path: configPath,
                detail: "declares \(declared) parameters, more than model.safetensors (\(size) bytes) can hold")
        }
    }

    // MARK: - Checkpoints

    /// Writes the checkpoint; refuses one holding a non-finite value.
    public func write(checkpoint: TrainingCheckpoint) throws(StoreError) {
        if let bad = checkpoint.parameters.first(where: { !$0.value.allSatisfy(\.isFinite) }) {
            throw .writeFailed(path: checkpointPath, reason: "tensor '\(bad.key)' holds a non-finite value")
        }
        var tensors: [String: SafeTensors.Tensor] = [:]
        for (prefix, values) in [("param.", checkpoint.parameters), ("optim.", checkpoint.optimizerState), ("state.", checkpoint.recurrentState)] {
            for (name, value) in values { tensors[prefix + name] = SafeTensors.Tensor(shape: [value.count], values: value) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let position = (try? encoder.encode(checkpoint.position)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        try AtomicFile.write(SafeTensors(tensors: tensors, metadata: ["position": position]).serialized(), to: checkpointPath)
    }

    public func readCheckpoint() throws(StoreError) -> TrainingCheckpoint {
        let file = try SafeTensors(contentsOf: checkpointPath)
        guard let json = file.metadata["position"],
            let position = try? JSONDecoder().decode(TrainingPosition.self, from: Data(json.utf8))
        else { throw .config(path: checkpointPath, detail: "no readable training position in its metadata") }
        func group(_ prefix: String) -> [String: [Float]] {
            Dictionary(uniqueKeysWithValues: file.tensors.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value.values) })
        }
        return TrainingCheckpoint(
            parameters: group("param."), optimizerState: group("optim."), recurrentState: group("state."), position: position)
    }

    // MARK: - Helpers

    /// A recurrent tensor whose first dimension is another cell's gate count times H was
    /// written for another cell type: say so rather than only that shapes differ.
    static func explainShapeMismatch(
        path: String, name: String, expected: [Int], found: [Int], configuration: ModelConfiguration
    ) -> StoreError {
        // The layer's width, from the name's `_l{k}` suffix.
        let layer = name.split(separator: "_").last.flatMap { $0.hasPrefix("l") ? Int($0.dropFirst()) : nil } ?? 0
        let hidden = configuration.hiddenSize(ofLayer: layer)
        if name.hasPrefix("rnn."), let rows = found.first, rows % hidden == 0, found.dropFirst() == expected.dropFirst() {
            let gates = rows / hidden
            let stored = [4: "LSTM", 3: "GRU", 1: "vanilla RNN"][gates]
            if let stored, gates != configuration.cell.gates {
                return .cellMismatch(path: path, name: name, stored: stored, configured: configuration.cell.rawValue)
            }
        }
        return .shapeMismatch(path: path, name: name, expected: expected, found: found)
    }

    static func shapes(of model: LanguageModel) -> [String: [Int]] {
        var shapes = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.shape) })
        if model.configuration.tieWeights { shapes["decoder.weight"] = shapes["encoder.weight"] }
        return shapes
    }

    private func tensors(_ values: [String: [Float]], shapes: [String: [Int]]) -> [String: SafeTensors.Tensor] {
        var tensors: [String: SafeTensors.Tensor] = [:]
        for (name, value) in values { tensors[name] = SafeTensors.Tensor(shape: shapes[name] ?? [value.count], values: value) }
        return tensors
    }
}

extension ModelDirectory {
    /// Points `models/latest` (a symbolic link beside this directory) at it.
    public func markLatest() throws(StoreError) {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let link = url.deletingLastPathComponent().appendingPathComponent("latest").path
        let temporary = link + ".\(getpid()).tmp"
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            try FileManager.default.createSymbolicLink(atPath: temporary, withDestinationPath: url.lastPathComponent)
        } catch {
            throw .writeFailed(path: link, reason: (error as NSError).localizedDescription)
        }
        guard rename(temporary, link) == 0 else { throw .writeFailed(path: link, reason: String(cString: strerror(errno))) }
    }
}

extension ModelDirectory: TrainingSink {
    public func saveBest(_ model: LanguageModel, validationPerplexity: Double) throws {
        try writeWeights(of: model, metadata: ["validation_perplexity": String(validationPerplexity)])
    }

    public func saveCheckpoint(_ checkpoint: TrainingCheckpoint) throws {
        try write(checkpoint: checkpoint)
    }
}
