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

    @OptionGroup var modelDirectory: ModelDirectoryFlag

    @Option(help: "Text to prime the model with (read with the model's tokenizer); default: a fresh line.")
    var seed: String?

    @Option(
        parsing: .unconditional,
        help: "Tokens to write per sample (default: 100; with --lines, only an explicit --tokens limits a sample, else a safety cap of 100000 tokens).")
    var tokens: Int?

    @Option(parsing: .unconditional, help: "Stop a sample after this many line ends.")
    var lines: Int?

    @Option(parsing: .unconditional, help: "Sampling temperature (> 0; lower is more conservative; default: 1).")
    var temperature: Float?

    @Option(parsing: .unconditional, help: "Sample only from the K most likely tokens.")
    var topK: Int?

    @Option(parsing: .unconditional, help: "Sample only from the smallest set of likeliest tokens whose probability reaches P (nucleus).")
    var topP: Float?

    @Flag(help: "Always take the most likely token (not with --temperature, --top-k or --top-p).")
    var greedy = false

    @Option(
        parsing: .unconditional,
        help: "Beam search with this many beams for the most likely continuations (not with --greedy or the sampling flags).")
    var beam: Int?

    @Option(parsing: .unconditional, help: "Random seed of the sampler (the same seed gives the same text; default: 0).")
    var randomSeed: RandomSeed?

    @Option(parsing: .unconditional, help: "Samples to write: independent samples, or with --beam the best distinct beams (at most --beam).")
    var count = 1

    @OptionGroup var threads: ThreadsFlag

    @OptionGroup var bfloat16: BFloat16Flag

    @Flag(help: "Print JSON (tokens and their log-probabilities) instead of text.")
    var json = false

    /// Tokens per sample without --tokens and --lines.
    static let defaultTokens = 100
    /// Tokens per sample with --lines and without --tokens: a safety cap for a model that
    /// seldom ends a line.
    static let lineTokenCap = 100_000
    static let defaultTemperature: Float = 1
    static let defaultRandomSeed: UInt64 = 0

    /// The most tokens a sample may have: --tokens when given; otherwise, with --lines,
    /// the line ends decide (up to ``lineTokenCap``), and without, ``defaultTokens``.
    var maxTokens: Int { tokens ?? (lines == nil ? Self.defaultTokens : Self.lineTokenCap) }

    mutating func validate() throws {
        if let tokens, tokens < 1 { throw CommandError.flag("--tokens", "must be at least 1") }
        if let lines, lines < 1 { throw CommandError.flag("--lines", "must be at least 1") }
        if let temperature, !(temperature > 0) { throw CommandError.flag("--temperature", "must be positive (or use --greedy)") }
        if let topK, topK < 1 { throw CommandError.flag("--top-k", "must be at least 1") }
        if let topP, !(topP > 0 && topP <= 1) { throw CommandError.flag("--top-p", "must be in (0, 1]") }
        if let beam, beam < 1 { throw CommandError.flag("--beam", "must be at least 1") }
        if count < 1 { throw CommandError.flag("--count", "must be at least 1") }
        try randomSeed?.check()
        let sampling = [("--temperature", temperature != nil), ("--top-k", topK != nil), ("--top-p", topP != nil)]
        if greedy, let (flag, _) = sampling.first(where: \.1) {
            throw CommandError.flag("--greedy", "cannot be combined with \(flag): greedy decoding does not sample")
        }
        if let beam {
            let chosen = sampling + [("--greedy", greedy), ("--random-seed", randomSeed != nil)]
            if let (flag, _) = chosen.first(where: \.1) {
                throw CommandError.flag("--beam", "cannot be combined with \(flag): beam search does not sample")
            }
            if count > beam { throw CommandError.flag("--count", "must be at most --beam (\(beam)): the samples are the best distinct beams") }
        }
    }

    func run() throws {
        try reportingErrors {
            threads.apply()
            let loaded = try modelDirectory.load()
            bfloat16.apply(to: loaded.model)
            let vocabulary = loaded.vocabulary
            let tokenizer = loaded.makeTokenizer()
            var seedIds: [Int32] = []
            var unknown: [String] = []
            if let seed {
                let units = Array(seed.utf16)
                units.withUnsafeBufferPointer { line in
                    _ = tokenizer.forEachToken(inLine: line) { token in
                        let text = String(decoding: token, as: UTF16.self)
                        if vocabulary.knownID(of: text) == nil { unknown.append(text) }
                        seedIds.append(vocabulary.id(of: text))
                    }
                }
            }
            if !unknown.isEmpty {
                printError("lmtool: warning: not in the model's vocabulary, read as <unk>: \(unknown.joined(separator: " "))")
            }
            var generator = RandomGenerator(seed: randomSeed?.value ?? Self.defaultRandomSeed)
            let sampler: LogitSampler =
                greedy
                ? GreedySampler() : TemperatureSampler(temperature: temperature ?? Self.defaultTemperature, topK: topK, topP: topP)
            let beams = beam.map {
                BeamSearch(model: loaded.model, width: $0).search(
                    seed: seedIds, length: maxTokens, endOfLine: Vocabulary.endOfLineID, lineEnds: lines, count: count)
            }
            var samples: [[String: Any]] = []
            let sampleCount = beams?.count ?? count
            for index in 0..<sampleCount {
                var written: [(token: String, logProbability: Double)] = []
                // Primed with the seed's pieces, the detokenizer spaces the first new token
                // after the seed as it would inside one text.
                var detokenizer = Detokenizer(mode: loaded.manifest.tokenizer.mode)
                for id in seedIds { _ = detokenizer.append(vocabulary.token(at: id)) }
                var generated = ""
                var lineEnds = 0
                if !json, let seed { print(seed, terminator: "") }
                let emit = { (id: Int32, logProbability: Double) -> Bool in
                    let token = vocabulary.token(at: id)
                    written.append((token, logProbability))
                    let added = detokenizer.append(token)
                    generated += added
                    if !json {
                        print(added, terminator: "")
                        fflush(nil)
                    }
                    if id == Vocabulary.endOfLineID { lineEnds += 1 }
                    return lines.map { lineEnds < $0 } ?? true
                }
                if let beams {
                    for (id, logProbability) in zip(beams[index].tokens, beams[index].logProbabilities) {
                        if !emit(id, logProbability) { break }
                    }
                } else {
                    let textGenerator = TextGenerator(model: loaded.model)
                    textGenerator.prime(with: seedIds, endOfLine: Vocabulary.endOfLineID)
                    textGenerator.generate(maxTokens: maxTokens, sampler: sampler, generator: &generator, emit: emit)
                }
                let tail = detokenizer.flush()
                if !json { print(tail, terminator: "") }
                if json {
                    samples.append([
                        "text": (seed ?? "") + generated + tail,
                        "tokens": written.map(\.token), "log_probabilities": written.map(\.logProbability),
                    ])
                } else {
                    if written.last?.token != SpecialToken.endOfLine { print("") }
                    if index + 1 < sampleCount { print("") }
                }
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: ["samples": samples], options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}
