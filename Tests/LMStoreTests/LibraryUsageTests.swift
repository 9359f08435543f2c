import Foundation
import LMInference
import LMNetwork
import LMStore
import LMTensor
import LMText
import LMTraining
import Testing

/// README's "Using the library" example, as written there, against a model directory
/// written through the library.
@Suite struct LibraryUsageTests {
    @Test func theReadmeExampleRuns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lmtool-lib-\(UUID().uuidString)")
        let directory = ModelDirectory(path: folder.path)
        try directory.create()
        let vocabulary = Vocabulary(counts: ["to": 3, "be": 2, "or": 1])
        let configuration = ModelConfiguration(vocabularySize: vocabulary.count, embeddingSize: 4, hiddenSize: 4, layers: 1)
        var random = RandomGenerator(seed: 2)
        try directory.write(
            manifest: ModelManifest(
                lmtoolVersion: "test", model: configuration, tokenizer: TokenizerOptions(), minCount: 1, maxVocabulary: nil,
                training: TrainingOptions(), corpus: "none", validation: nil, validationFraction: 0.05))
        try directory.write(vocabulary: vocabulary)
        try directory.writeWeights(of: try LanguageModel(configuration: configuration, generator: &random))

        // The README's code, with `models/latest` replaced by this directory.
        var printed: [String] = []
        let loaded = try ModelDirectory(path: folder.path).load()
        let generator = TextGenerator(model: loaded.model)
        random = RandomGenerator(seed: 1)
        generator.prime(with: [], endOfLine: 1)
        generator.generate(maxTokens: 20, sampler: TemperatureSampler(temperature: 0.8), generator: &random) { token, _ in
            printed.append(loaded.vocabulary.token(at: token))
            return true
        }
        #expect(printed.count == 20)
        #expect(Set(printed).isSubset(of: Set(vocabulary.tokens)))
    }
}
