import ArgumentParser
import LMTensor
import LMText

struct VocabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocab",
        abstract: "Build a vocabulary from a text file and print its size, coverage and most frequent tokens.")

    @Argument(help: "A UTF-8 text file.")
    var file: String

    @OptionGroup var tokenizerFlags: TokenizerFlags

    @Option(parsing: .unconditional, help: "Keep tokens seen at least this many times.")
    var minCount = 1

    @Option(parsing: .unconditional, help: "Keep at most this many tokens (special tokens included).")
    var maxVocab: Int?

    @Option(parsing: .unconditional, help: "How many of the most frequent tokens to list.")
    var top = 20

    mutating func validate() throws {
        if minCount < 1 { throw CommandError.flag("--min-count", "must be at least 1") }
        if let maxVocab, maxVocab < 3 { throw CommandError.flag("--max-vocab", "must be at least 3") }
        try tokenizerFlags.checkVocabularyFlags(minCount: minCount, maxVocab: maxVocab)
        if top < 0 { throw CommandError.flag("--top", "must not be negative") }
    }

    func run() throws {
        try reportingErrors {
            let options = tokenizerFlags.options
            let subwordModel = options.mode == .subword ? try tokenizerFlags.trainSubwordModel(on: file) : nil
            // Counted on every thread, the token stream never held.
            let corpus = try Corpus.tokenize(
                path: file, threads: ComputeThreads.count, makeTokenizer: { Tokenizer(options: options, subwordModel: subwordModel) }
            ) { _ in }
            let vocabulary =
                subwordModel.map { Vocabulary(subwordModel: $0, counts: corpus.counts) }
                ?? Vocabulary(counts: corpus.counts, minCount: minCount, maxSize: maxVocab)
            print("\(LineReader.name(of: file)): \(corpus.tokenCount) tokens (\(corpus.summary.lines) lines), \(corpus.types.count) distinct")
            print("vocabulary: \(vocabulary.count) tokens, coverage \(String(format: "%.2f", 100 * vocabulary.coverage))% of the text")
            print("most frequent:")
            // Word vocabularies are in count order already; a subword model's ids are not.
            let byCount = vocabulary.counts.indices.sorted { vocabulary.counts[$0] > vocabulary.counts[$1] || (vocabulary.counts[$0] == vocabulary.counts[$1] && $0 < $1) }
            for id in byCount.prefix(top) {
                print(String(format: "%7d  %10d  ", id, vocabulary.counts[id]) + TokenizeCommand.visible(vocabulary.tokens[id]))
            }
        }
    }
}
