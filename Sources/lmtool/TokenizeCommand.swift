import ArgumentParser
import LMStore
import LMText

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the tokens of a text file, one input line per output line.",
        discussion: """
            With --model, the text is read with that model's tokenizer; --ids prints its token ids instead. \
            Without --model, --tokenizer subword trains a subword model on the text itself first.
            """)

    @Argument(help: "A UTF-8 text file.")
    var file: String

    @OptionGroup var tokenizerFlags: TokenizerFlags

    @Option(help: "Read the text as this model directory's tokenizer and vocabulary do.")
    var model: String?

    @Flag(help: "Print token ids (needs --model).")
    var ids = false

    mutating func validate() throws {
        if ids && model == nil { throw CommandError.flag("--ids", "needs --model DIR (ids belong to a vocabulary)") }
    }

    func run() throws {
        try reportingErrors {
            var vocabulary: Vocabulary?
            var options = tokenizerFlags.options
            var subwordModel: SubwordModel?
            if let model {
                let directory = ModelDirectory(path: model)
                let manifest = try ModelManifest.read(path: directory.configPath)
                options = manifest.tokenizer
                (vocabulary, subwordModel) = try directory.readTokens(manifest: manifest)
            } else if options.mode == .subword {
                subwordModel = try tokenizerFlags.trainSubwordModel(on: file)
            }
            let tokenizer = Tokenizer(options: options, subwordModel: subwordModel)
            var output = ""
            let summary = try LineReader(path: file).forEachLine { line, _ in
                var fields: [String] = []
                tokenizer.forEachToken(inLine: line) { units in
                    let token = String(decoding: units, as: UTF16.self)
                    if ids, let vocabulary {
                        fields.append(String(vocabulary.id(of: token)))
                    } else {
                        fields.append(options.mode == .character ? Self.visible(token) : token)
                    }
                }
                if ids { fields.append(String(Vocabulary.endOfLineID)) }
                output += fields.joined(separator: " ") + "\n"
                if output.utf8.count > 1 << 16 {
                    print(output, terminator: "")
                    output = ""
                }
            }
            print(output, terminator: "")
            if summary.bytes == 0 { throw CorpusError.empty(path: file) }
        }
    }

    /// Character tokens made visible: a space is shown as `␠`, a tab as `␉`.
    static func visible(_ token: String) -> String {
        switch token {
        case " ": "␠"
        case "\t": "␉"
        default: token
        }
    }
}
