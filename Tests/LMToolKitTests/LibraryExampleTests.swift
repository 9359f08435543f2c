import Foundation
import LMToolKit
import Testing

// The README's "Using the library" example and the DocC article "Train and sample from
// Swift" show the code between the two marker lines below, after `import LMToolKit` (this
// target depends on LMToolKit alone, so the code compiles against the umbrella module),
// followed by two calls of their own; `theExampleIsTheOneDocumented` holds them to it.

// Example begins.
/// Trains a one-layer word-level LSTM on the text file `corpus` into the model directory
/// `path`, keeping the last tenth of its tokens for validation.
func train(on corpus: String, into path: String, epochs: Int) throws {
    let tokenizer = Tokenizer(options: TokenizerOptions())
    let vocabulary = Vocabulary(counts: try Corpus.tokenize(path: corpus, tokenizer: tokenizer).counts)
    let ids = try Corpus.encode(path: corpus, tokenizer: tokenizer, vocabulary: vocabulary).ids
    let split = ids.count * 9 / 10
    let configuration = ModelConfiguration(vocabularySize: vocabulary.count, embeddingSize: 64, hiddenSize: 64, layers: 1)
    var options = TrainingOptions()
    options.epochs = epochs
    let directory = ModelDirectory(path: path)
    try directory.create()
    try directory.write(
        manifest: ModelManifest(
            lmtoolVersion: "library", model: configuration, tokenizer: tokenizer.options, minCount: 1,
            maxVocabulary: nil, training: options, corpus: corpus, validation: nil, validationFraction: 0.1))
    try directory.write(vocabulary: vocabulary)
    var random = RandomGenerator(seed: options.seed)
    let model = try LanguageModel(configuration: configuration, generator: &random)
    let trainer = try Trainer(
        model: model, options: options, training: Array(ids[..<split]), validation: Array(ids[split...]))
    _ = try trainer.run(sink: directory)  // the best weights go to the directory after each epoch
}

/// Twenty tokens sampled at temperature 0.8 from the model in `path`, joined into text.
func sample(fromModelAt path: String) throws -> String {
    let loaded = try ModelDirectory(path: path).load()
    let generator = TextGenerator(model: loaded.model)
    var random = RandomGenerator(seed: 1)
    var tokens: [String] = []
    generator.prime(with: [], endOfLine: Vocabulary.endOfLineID)
    generator.generate(maxTokens: 20, sampler: TemperatureSampler(temperature: 0.8), generator: &random) { token, _ in
        tokens.append(loaded.vocabulary.token(at: token))
        return true
    }
    return Detokenizer(mode: loaded.manifest.tokenizer.mode).join(tokens)
}
// Example ends.

@Suite struct LibraryExampleTests {
    @Test func theExampleTrainsAndSamples() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lmtoolkit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let words = ["to", "be", "or", "not", "that", "is", "the", "question", "whether", "tis", "nobler", "in", "mind"]
        var random = RandomGenerator(seed: 3)
        let lines = (0..<300).map { _ in
            (0..<8).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined(separator: " ")
        }
        let corpus = folder.appendingPathComponent("corpus.txt").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: corpus, atomically: true, encoding: .utf8)

        let model = folder.appendingPathComponent("model").path
        try train(on: corpus, into: model, epochs: 1)
        let text = try sample(fromModelAt: model)

        #expect(FileManager.default.fileExists(atPath: ModelDirectory(path: model).weightsPath))
        let known = Set(words + [SpecialToken.unknown, SpecialToken.endOfLine])
        #expect(!text.isEmpty)
        #expect(Set(text.split(whereSeparator: \.isWhitespace).map(String.init)).isSubset(of: known))
    }

    /// The README's and the article's code block: `import LMToolKit`, this file's example,
    /// then calls of its functions.
    @Test(arguments: ["README.md", "Sources/LMToolKit/LMToolKit.docc/TrainAndSample.md"])
    func theExampleIsTheOneDocumented(_ document: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let example = try #require(Self.text(in: source, after: "// Example begins.\n", before: "// Example ends.\n"))
        let text = try String(contentsOf: root.appendingPathComponent(document), encoding: .utf8)
        let block = try #require(Self.text(in: text, after: "```swift\nimport LMToolKit\n\n", before: "```\n"))
        #expect(block.hasPrefix(example))
        #expect(!block.contains("import "), "the example needs no import but LMToolKit")
    }

    static func text(in string: String, after start: String, before end: String) -> String? {
        guard let begin = string.range(of: start), let finish = string.range(of: end, range: begin.upperBound..<string.endIndex)
        else { return nil }
        return String(string[begin.upperBound..<finish.lowerBound])
    }
}
