import ArgumentParser
import Foundation
import LMInference
import LMStore
import LMText

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Held-out perplexity of a model on a text file.",
        discussion: """
            The text is read with the model's tokenizer and vocabulary and scored with the \
            state carried from start to end. --batch B splits it into B streams as the \
            PyTorch example does (the remainder of N/B tokens and the first token of each \
            stream are then not scored, so the figure differs slightly).
            """)

    @Argument(help: "A UTF-8 text file the model has not been trained on.")
    var file: String

    @OptionGroup var modelDirectory: ModelDirectoryFlag

    @Option(parsing: .unconditional, help: "Parallel streams.")
    var batch = 1

    @Option(parsing: .unconditional, help: "Window length (affects speed only; the state is carried across windows).")
    var bptt = 35

    @OptionGroup var threads: ThreadsFlag

    @OptionGroup var bfloat16: BFloat16Flag

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    mutating func validate() throws {
        if batch < 1 { throw CommandError.flag("--batch", "must be at least 1") }
        if bptt < 1 { throw CommandError.flag("--bptt", "must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            threads.apply()
            let loaded = try modelDirectory.load()
            bfloat16.apply(to: loaded.model)
            let encoded = try Corpus.encode(path: file, tokenizer: loaded.makeTokenizer(), vocabulary: loaded.vocabulary)
            let result = Evaluator(model: loaded.model, batchSize: batch, windowLength: bptt).evaluate(encoded.ids)
            guard result.tokens > 0 else {
                throw CommandError(description: "\(file): too short to score with --batch \(batch) (\(encoded.ids.count) tokens)")
            }
            let report: [(String, Any)] = [
                ("perplexity", result.perplexity), ("cross_entropy_nats", result.crossEntropy),
                ("bits_per_token", result.bitsPerToken), ("bits_per_character", result.bitsPerCharacter(of: encoded)),
                ("tokens", result.tokens), ("characters", encoded.characters), ("oov_rate", encoded.outOfVocabularyRate),
            ]
            if encoded.outOfVocabularyRate > OutOfVocabularyWarning.threshold {
                printError(OutOfVocabularyWarning.message(rate: encoded.outOfVocabularyRate, text: file))
            }
            if json {
                let object = Dictionary(uniqueKeysWithValues: report)
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            if batch > 1 { print("note: \(batch) streams; the PyTorch example's layout, which differs slightly from one stream") }
            print(String(format: "perplexity          %.3f", result.perplexity))
            print(String(format: "cross-entropy       %.4f nats/token, %.4f bits/token", result.crossEntropy, result.bitsPerToken))
            print(String(format: "bits per character  %.4f (compare this across tokenizers)", result.bitsPerCharacter(of: encoded)))
            print("tokens scored       \(result.tokens) (\(encoded.characters) characters)")
            print(String(format: "out of vocabulary   %.2f%%", 100 * encoded.outOfVocabularyRate))
        }
    }
}
