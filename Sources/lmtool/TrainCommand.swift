import ArgumentParser
import LMTraining

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a recurrent language model on a text file.",
        discussion: """
            Defaults follow the PyTorch word-language-model example: a 2-layer LSTM with 200 \
            units, dropout 0.2, SGD at learning rate 20 (5 for gru and rnn-relu, 2 for rnn-tanh) divided by 4 whenever validation \
            perplexity stops improving, gradients clipped to global norm 0.25, batch 20, \
            windows of 35 tokens, 40 epochs. The model is written to models/<corpus name>/ \
            and models/latest points at it. Ctrl-C stops after the current step and saves a \
            checkpoint that --resume continues.
            """)

    @Argument(help: "The training text (UTF-8; '-' reads standard input). Optional with --resume.")
    var corpus: String?

    @OptionGroup(title: "Data") var data: TrainingDataFlags

    @OptionGroup(title: "Text") var tokenizerFlags: TokenizerFlags

    @OptionGroup(title: "Text") var vocabularyFlags: VocabularyFlags

    @OptionGroup(title: "Model") var model: ModelFlags

    @OptionGroup(title: "Training") var training: TrainingFlags

    // The flags by the names ``TrainingSession`` reads them by.
    var valid: String? { data.valid }
    var validFraction: Double { data.validFraction }
    var test: String? { data.test }
    var out: String? { data.out }
    var resume: String? { data.resume }
    var overwrite: Bool { data.overwrite }
    var minCount: Int { vocabularyFlags.minCount }
    var maxVocab: Int? { vocabularyFlags.maxVocab }
    var trainingOptions: TrainingOptions { training.options(cell: model.cell) }

    /// What no one option group can check alone (each group has checked its own flags).
    mutating func validate() throws {
        if corpus == nil && resume == nil { throw CommandError.flag("corpus", "is missing: give the training text, or --resume DIR") }
        try tokenizerFlags.checkVocabularyFlags(minCount: minCount, maxVocab: maxVocab)
        if tokenizerFlags.tokenizer == .subword && training.unkAlpha > 0 {
            throw CommandError.flag("--unk-alpha", "does not apply to --tokenizer subword (it has no unknown words)")
        }
        // A resumed run's batch is in its config.json; the trainer checks the shards against it.
        if resume == nil && training.batch % training.shards != 0 {
            throw CommandError.flag("--shards", "must divide --batch \(training.batch)")
        }
    }

    func run() throws {
        try reportingErrors {
            training.threads.apply()
            try TrainingSession(command: self).run()
        }
    }
}
