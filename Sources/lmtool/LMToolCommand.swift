import ArgumentParser

struct LMToolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lmtool",
        abstract: "Train, sample and evaluate recurrent neural language models on a CPU.",
        discussion: """
            Typical use:
              lmtool train corpus.txt            train a model (written to models/<corpus>/)
              lmtool generate --seed "Once"      sample text from models/latest
              lmtool eval heldout.txt            held-out perplexity of models/latest
            """,
        version: "lmtool \(LMToolVersion.current)",
        subcommands: [TrainCommand.self, GenerateCommand.self, EvalCommand.self, TokenizeCommand.self, VocabCommand.self, InfoCommand.self, BenchCommand.self]
    )
}
