import LMTraining

/// What `train --resume DIR` may change: the time budget (`--max-minutes`, counted from
/// the resume), the number of epochs in all, the learning-rate schedule, clipping,
/// windows per update (`--accumulate`), shards (`--shards`), logging, checkpoints, threads and a test text. Everything else is fixed by the model
/// directory (model shape, tokenizer, vocabulary, corpus, batch layout, optimizer, seed),
/// and naming it is an error rather than being ignored.
struct ResumeSettings {
    static let changeable: Set<String> = [
        "--resume", "--max-minutes", "--epochs", "--lr", "--lr-decay", "--anneal", "--patience", "--clip", "--accumulate",
        "--shards", "--log-every", "--checkpoint-every", "--threads", "--test",
    ]

    /// The long flags named on the command line (`--name` or `--name=value`).
    let given: Set<String>

    init(arguments: [String]) {
        var given = Set<String>()
        for argument in arguments {
            if argument == "--" { break }
            guard argument.hasPrefix("--") else { continue }
            given.insert(String(argument.split(separator: "=", maxSplits: 1)[0]))
        }
        self.given = given
    }

    /// Refuses, in one line naming them all, the flags a resumed run cannot change, and
    /// a corpus other than the one the model was trained on.
    func checkFixed(corpus: String?, trainedOn trained: String, directory: String) throws {
        let fixed = given.subtracting(Self.changeable).sorted()
        if !fixed.isEmpty {
            throw CommandError(
                description:
                    "\(fixed.joined(separator: ", ")) cannot change when resuming: \(directory)/config.json fixes \(fixed.count == 1 ? "it" : "them"); a resumed run may change \(Self.changeable.subtracting(["--resume"]).sorted().joined(separator: ", "))")
        }
        if let corpus, corpus != trained {
            throw CommandError(
                description: "the corpus cannot change when resuming: \(directory) was trained on \(trained), not \(corpus)")
        }
    }

    /// `options` with the flags given applied; returns what changed, for the metrics log.
    func apply(_ flags: TrainingFlags, to options: inout TrainingOptions) -> [String: Any] {
        let new = flags.options(cell: .lstm)  // the default rate is never taken: only given flags are
        var changed: [String: Any] = [:]
        func take<Value>(_ flag: String, _ setting: WritableKeyPath<TrainingOptions, Value>, as key: String, _ record: (Value) -> Any) {
            guard given.contains(flag) else { return }
            options[keyPath: setting] = new[keyPath: setting]
            changed[key] = record(new[keyPath: setting])
        }
        take("--max-minutes", \.maxMinutes, as: "max_minutes") { $0 ?? 0 }
        take("--epochs", \.epochs, as: "epochs") { $0 }
        take("--lr", \.learningRate, as: "lr") { Double($0) }
        take("--lr-decay", \.learningRateDecay, as: "lr_decay") { $0.rawValue }
        take("--anneal", \.annealFactor, as: "anneal") { Double($0) }
        take("--patience", \.patience, as: "patience") { $0 ?? 0 }
        take("--clip", \.clip, as: "clip") { $0.map(Double.init) ?? 0 }
        take("--accumulate", \.accumulate, as: "accumulate") { $0 }
        take("--shards", \.shards, as: "shards") { $0 }
        take("--log-every", \.logEvery, as: "log_every") { $0 }
        take("--checkpoint-every", \.checkpointEvery, as: "checkpoint_every") { $0 }
        return changed
    }

    /// The schedule's changes, for ``LearningRateSchedule/resume(learningRate:annealFactor:patience:)``.
    func scheduleChanges(_ options: TrainingOptions) -> (learningRate: Float?, annealFactor: Float?, patience: Int??) {
        (
            given.contains("--lr") ? options.learningRate : nil, given.contains("--anneal") ? options.annealFactor : nil,
            given.contains("--patience") ? .some(options.patience) : nil
        )
    }
}
