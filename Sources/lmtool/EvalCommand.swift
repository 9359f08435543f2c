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

            Bits per character (the figure to compare across tokenizers) pay for every \
            character: each token the vocabulary does not know is charged its spelling \
            under a character model of the vocabulary, as an open-vocabulary model would pay.

            --cache N mixes the model's distribution with a neural cache (Grave et al. 2017) \
            of each stream's last N positions: a token that followed states like the \
            current one becomes likelier, so words the text has just used (names above \
            all) cost less. Its θ and λ are chosen on held-out text (--cache-tune-on, for \
            example the validation split) or given (--cache-theta, --cache-lambda); the \
            figure without the cache is printed beside it.
            """)

    @Argument(help: "A UTF-8 text file the model has not been trained on.")
    var file: String

    @OptionGroup var modelDirectory: ModelDirectoryFlag

    @Option(parsing: .unconditional, help: "Parallel streams.")
    var batch = 1

    @Option(parsing: .unconditional, help: "Window length (affects speed only; the state is carried across windows).")
    var bptt = 35

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Score the --batch streams in S groups, each read from start to end by one thread: faster beside other busy processes, slower on a quiet machine; the figure changes only in the order of its sums.",
            valueName: "S"))
    var shards = 1

    @Option(parsing: .unconditional, help: "Mix in a neural cache of each stream's last N positions.")
    var cache: Int?

    @Option(help: "Held-out text (not the scored one) on which to choose the cache's θ and λ.")
    var cacheTuneOn: String?

    @Option(parsing: .unconditional, help: "The cache's θ: how sharply it prefers the most similar states (above 0).")
    var cacheTheta: Float?

    @Option(parsing: .unconditional, help: "The cache's λ: its weight in the mixture (0 to 1).")
    var cacheLambda: Double?

    @OptionGroup var threads: ThreadsFlag

    @OptionGroup var bfloat16: BFloat16Flag

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    mutating func validate() throws {
        if batch < 1 { throw CommandError.flag("--batch", "must be at least 1") }
        if bptt < 1 { throw CommandError.flag("--bptt", "must be at least 1") }
        if !(1...batch).contains(shards) { throw CommandError.flag("--shards", "must be from 1 to --batch \(batch)") }
        try validateCache()
    }

    private func validateCache() throws {
        if cache != nil && shards > 1 { throw CommandError.flag("--shards", "does not apply with --cache") }
        guard let cache else {
            for (flag, given) in [("--cache-tune-on", cacheTuneOn != nil), ("--cache-theta", cacheTheta != nil),
                                  ("--cache-lambda", cacheLambda != nil)] where given {
                throw CommandError.flag(flag, "needs --cache N")
            }
            return
        }
        if cache < 1 { throw CommandError.flag("--cache", "must be at least 1") }
        if let cacheTheta, !(cacheTheta > 0 && cacheTheta.isFinite) {
            throw CommandError.flag("--cache-theta", "must be above 0")
        }
        if let cacheLambda, !(0...1).contains(cacheLambda) { throw CommandError.flag("--cache-lambda", "must be from 0 to 1") }
        if cacheTuneOn != nil && (cacheTheta != nil || cacheLambda != nil) {
            throw CommandError.flag("--cache-tune-on", "chooses θ and λ; give it or --cache-theta and --cache-lambda, not both")
        }
        if cacheTuneOn == nil && (cacheTheta == nil || cacheLambda == nil) {
            throw CommandError.flag("--cache", "needs --cache-tune-on FILE, or --cache-theta and --cache-lambda")
        }
    }

    func run() throws {
        try reportingErrors {
            threads.apply()
            let loaded = try modelDirectory.load()
            bfloat16.apply(to: loaded.model)
            let encoded = try Corpus.encode(path: file, tokenizer: loaded.makeTokenizer(), vocabulary: loaded.vocabulary)
            let result: Evaluator.Result
            var cacheReport: [(String, Any)] = []
            var cacheLines: [String] = []
            if let cache {
                let evaluator = CacheEvaluator(model: loaded.model, size: cache, batchSize: batch, windowLength: bptt)
                var mixture = CacheEvaluator.Mixture(theta: cacheTheta ?? 0, lambda: cacheLambda ?? 0)
                if let cacheTuneOn {
                    let heldOut = try Corpus.encode(
                        path: cacheTuneOn, tokenizer: loaded.makeTokenizer(), vocabulary: loaded.vocabulary)
                    mixture = evaluator.tune(on: heldOut.ids)
                }
                let (withCache, withoutCache) = evaluator.evaluate(encoded.ids, mixture: mixture)
                result = withCache
                cacheReport = [
                    ("cache_size", cache), ("cache_theta", Double(mixture.theta)), ("cache_lambda", mixture.lambda),
                    ("perplexity_without_cache", withoutCache.perplexity),
                    ("bits_per_character_without_cache", withoutCache.bitsPerCharacter(of: encoded)),
                ]
                let chosen = cacheTuneOn.map { " (chosen on \($0))" } ?? ""
                cacheLines = [
                    String(format: "cache               %d positions, θ %.4g, λ %.4f", cache, mixture.theta, mixture.lambda)
                        + chosen,
                    String(
                        format: "without the cache   perplexity %.3f, %.4f bits per character", withoutCache.perplexity,
                        withoutCache.bitsPerCharacter(of: encoded)),
                ]
            } else {
                result = Evaluator(model: loaded.model, batchSize: batch, windowLength: bptt, shards: shards)
                    .evaluate(encoded.ids)
            }
            guard result.tokens > 0 else {
                throw CommandError(description: "\(file): too short to score with --batch \(batch) (\(encoded.ids.count) tokens)")
            }
            let report: [(String, Any)] = [
                ("perplexity", result.perplexity), ("cross_entropy_nats", result.crossEntropy),
                ("bits_per_token", result.bitsPerToken), ("bits_per_character", result.bitsPerCharacter(of: encoded)),
                ("tokens", result.tokens), ("characters", encoded.characters), ("oov_rate", encoded.outOfVocabularyRate),
                ("unknown_spelling_bits", encoded.unknownSpellingBits),
            ] + cacheReport
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
            print(
                String(format: "out of vocabulary   %.2f%%", 100 * encoded.outOfVocabularyRate)
                    + (encoded.outOfVocabulary == 0
                        ? ""
                        : String(
                            format: ", spelled in %.4f of the bits per character",
                            encoded.unknownSpellingBits / Double(max(1, encoded.characters)))))
            for line in cacheLines { print(line) }
        }
    }
}
