import ArgumentParser
import Foundation
import LMInference
import LMStore
import LMTensor
import LMText

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write text with a trained model, streamed token by token.")

    @OptionGroup var modelFlag: ModelFlag

    @Option(help: "Text to prime the model with (read with the model's tokenizer); default: a fresh line.")
    var seed: String?

    @Option(parsing: .unconditional, help: "Tokens to write per sample.")
    var tokens = 100

    @Option(parsing: .unconditional, help: "Stop a sample after this many line ends.")
    var lines: Int?

    @Option(parsing: .unconditional, help: "Sampling temperature (> 0; lower is more conservative).")
    var temperature: Float = 1

    @Option(parsing: .unconditional, help: "Sample only from the K most likely tokens.")
    var topK: Int?

    @Option(parsing: .unconditional, help: "Sample only from the smallest set of likeliest tokens whose probability reaches P (nucleus).")
    var topP: Float?

    @Flag(help: "Always take the most likely token.")
    var greedy = false

    @Option(parsing: .unconditional, help: "Beam search with this many beams for the most likely continuation.")
    var beam: Int?

    @Option(parsing: .unconditional, help: "Random seed of the sampler (the same seed gives the same text).")
    var randomSeed = RandomSeed(0)

    @Option(parsing: .unconditional, help: "Independent samples to write.")
    var count = 1

    @OptionGroup var threads: ThreadsFlag

    @OptionGroup var bfloat16: BFloat16Flag

    @Flag(help: "Print JSON (tokens and their log-probabilities) instead of text.")
    var json = false

    func checkFlags() throws {
        if tokens < 1 { throw CommandError.flag("--tokens", "must be at least 1") }
        if let lines, lines < 1 { throw CommandError.flag("--lines", "must be at least 1") }
        if !greedy && !(temperature > 0) { throw CommandError.flag("--temperature", "must be positive (or use --greedy)") }
        if let topK, topK < 1 { throw CommandError.flag("--top-k", "must be at least 1") }
        if let topP, !(topP > 0 && topP <= 1) { throw CommandError.flag("--top-p", "must be in (0, 1]") }
        if let beam, beam < 1 { throw CommandError.flag("--beam", "must be at least 1") }
        if count < 1 { throw CommandError.flag("--count", "must be at least 1") }
        try randomSeed.check()
    }

    func run() throws {
        try reportingErrors {
            try threads.apply()
            try checkFlags()
            let loaded = try modelFlag.load()
            bfloat16.apply(to: loaded.model)
            let vocabulary = loaded.vocabulary
            let tokenizer = Tokenizer(options: loaded.manifest.tokenizer)
            var seedIds: [Int32] = []
            var unknown: [String] = []
            if let seed {
                let units = Array(seed.utf16)
                units.withUnsafeBufferPointer { line in
                    tokenizer.forEachToken(inLine: line) { token in
                        let text = String(decoding: token, as: UTF16.self)
                        if vocabulary.knownID(of: text) == nil { unknown.append(text) }
                        seedIds.append(vocabulary.id(of: text))
                    }
                }
            }
            if !unknown.isEmpty {
                printError("lmtool: warning: not in the model's vocabulary, read as <unk>: \(unknown.joined(separator: " "))")
            }
            let detokenizer = Detokenizer(mode: loaded.manifest.tokenizer.mode)
            var generator = RandomGenerator(seed: randomSeed.value)
            let sampler: LogitSampler =
                greedy ? GreedySampler() : TemperatureSampler(temperature: temperature, topK: topK, topP: topP)
            var samples: [[String: Any]] = []
            for index in 0..<count {
                var written: [(token: String, logProbability: Double)] = []
                var previous = seed.flatMap { _ in seedIds.last.map { vocabulary.token(at: $0) } }
                if !json, let seed { print(seed, terminator: "") }
                let emit = { (id: Int32, logProbability: Double) -> Bool in
                    let token = vocabulary.token(at: id)
                    written.append((token, logProbability))
                    if !json {
                        print(detokenizer.separator(after: previous, before: token) + (id == Vocabulary.endOfLineID ? "\n" : token), terminator: "")
                        fflush(nil)
                    }
                    previous = token
                    let lineEnds = written.count { $0.token == SpecialToken.endOfLine }
                    return lines.map { lineEnds < $0 } ?? true
                }
                if let beam {
                    let result = BeamSearch(model: loaded.model, width: beam)
                        .search(seed: seedIds, length: tokens, endOfLine: Vocabulary.endOfLineID)
                    for (id, logProbability) in zip(result.tokens, result.logProbabilities) {
                        if !emit(id, logProbability) { break }
                    }
                } else {
                    let textGenerator = TextGenerator(model: loaded.model)
                    textGenerator.prime(with: seedIds, endOfLine: Vocabulary.endOfLineID)
                    textGenerator.generate(maxTokens: tokens, sampler: sampler, generator: &generator, emit: emit)
                }
                if json {
                    samples.append([
                        "text": (seed ?? "") + detokenizer.join(written.map(\.token)),
                        "tokens": written.map(\.token), "log_probabilities": written.map(\.logProbability),
                    ])
                } else {
                    if written.last?.token != SpecialToken.endOfLine { print("") }
                    if index + 1 < count { print("") }
                }
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: ["samples": samples], options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}
