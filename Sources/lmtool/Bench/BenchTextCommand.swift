import ArgumentParser
import Foundation
import LMTensor
import LMText

/// `lmtool bench text`: throughput of the text pipeline as training runs it
/// (tokenize and count, build the vocabulary, encode), on each file repeated up to a
/// fixed size.
struct BenchTextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Measure tokenizing, counting and encoding speed (MB/s) on text files.",
        discussion: """
            Each file is repeated until it reaches --megabytes, written to a temporary file, \
            and read the way 'lmtool train' reads a corpus: tokenized and counted, turned into \
            a vocabulary and encoded to ids. The figure is the median of --repeats runs. With \
            --tokenizer subword, the SentencePiece model is first trained on the repeated file \
            with --threads threads (that time is reported too); encoding runs on one thread.
            """)

    @Argument(help: "UTF-8 text files to measure.")
    var files: [String]

    @OptionGroup var tokenizerFlags: TokenizerFlags

    @Option(parsing: .unconditional, help: "Size each file is repeated to, in megabytes (10^6 bytes).")
    var megabytes = 10.0

    @Option(parsing: .unconditional, help: "Timed runs per file; the median is reported.")
    var repeats = 5

    @OptionGroup var threads: ThreadsFlag

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    struct Measurement: Encodable {
        var file: String
        var tokenizer: String
        var bytes: Int
        var tokens: Int
        var types: Int
        var secondsMedian: Double
        var megabytesPerSecond: Double
        /// Subword mode: training the SentencePiece model on the file.
        var tokenizerTrainingSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case file, tokenizer, bytes, tokens, types
            case secondsMedian = "seconds_median"
            case megabytesPerSecond = "megabytes_per_s"
            case tokenizerTrainingSeconds = "tokenizer_training_s"
        }
    }

    mutating func validate() throws {
        if files.isEmpty { throw CommandError.flag("<files>", "needs at least one text file") }
        if !(megabytes > 0) || megabytes > 10_000 { throw CommandError.flag("--megabytes", "must be in (0, 10000]") }
        if repeats < 1 { throw CommandError.flag("--repeats", "must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            threads.apply()
            let options = tokenizerFlags.options
            var results: [Measurement] = []
            for file in files {
                let repeated = try Self.repeatedCopy(of: file, bytes: Int(megabytes * 1e6))
                defer { try? FileManager.default.removeItem(atPath: repeated.path) }
                var subwordModel: SubwordModel?
                var trainingSeconds: Double?
                if options.mode == .subword {
                    let start = DispatchTime.now().uptimeNanoseconds
                    subwordModel = try SubwordModel.train(
                        path: repeated.path, options: options, heldOutFraction: 0, threads: ComputeThreads.count, seed: 1
                    ).model
                    trainingSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                }
                let tokenizer = Tokenizer(options: options, subwordModel: subwordModel)
                var seconds: [Double] = []
                var tokens = 0
                var types = 0
                for _ in 0..<repeats {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let corpus = try Corpus.tokenize(path: repeated.path, tokenizer: tokenizer)
                    let vocabulary =
                        subwordModel.map { Vocabulary(subwordModel: $0, counts: corpus.counts) } ?? Vocabulary(counts: corpus.counts)
                    let encoded = corpus.encoded(0..<corpus.stream.count, with: vocabulary)
                    seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    tokens = encoded.ids.count
                    types = vocabulary.count
                }
                let median = BenchCommand.median(seconds)
                results.append(
                    Measurement(
                        file: file, tokenizer: tokenizerFlags.tokenizer.rawValue, bytes: repeated.bytes, tokens: tokens,
                        types: types, secondsMedian: median, megabytesPerSecond: Double(repeated.bytes) / 1e6 / median,
                        tokenizerTrainingSeconds: trainingSeconds))
            }
            if json {
                print(try JSONOutput.string(["text": results]))
            } else {
                print("tokenizer      MB     tokens    types  median s     MB/s  file")
                for result in results {
                    print(
                        String(
                            format: "%@ %7.1f %10d %8d %9.3f %8.2f  %@",
                            result.tokenizer.padding(toLength: 10, withPad: " ", startingAt: 0) as NSString,
                            Double(result.bytes) / 1e6, result.tokens, result.types, result.secondsMedian,
                            result.megabytesPerSecond, result.file as NSString))
                    if let training = result.tokenizerTrainingSeconds {
                        print(String(format: "           subword model trained on it in %.2f s with %d threads", training, ComputeThreads.count))
                    }
                }
            }
        }
    }

    /// Writes `file` repeated (whole copies, then a cut at a line end) to a temporary
    /// file of about `bytes` bytes.
    static func repeatedCopy(of file: String, bytes: Int) throws -> (path: String, bytes: Int) {
        _ = try LineReader(path: file).forEachLine { _, _ in }  // the same errors as training gives
        let text = try Data(contentsOf: URL(fileURLWithPath: file))
        var body = text
        if body.last != UInt8(ascii: "\n") { body.append(UInt8(ascii: "\n")) }
        var output = Data(capacity: bytes + body.count)
        while output.count < bytes {
            let remaining = bytes - output.count
            if remaining >= body.count {
                output.append(body)
            } else {
                let cut = body.prefix(remaining).lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? remaining
                output.append(body.prefix(cut))
                if cut == 0 { break }
            }
        }
        let path = NSTemporaryDirectory() + "lmtool-bench-\(getpid())-\(UUID().uuidString).txt"
        try output.write(to: URL(fileURLWithPath: path))
        return (path, output.count)
    }
}
