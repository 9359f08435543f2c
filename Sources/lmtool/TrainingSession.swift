import ArgumentParser
import Foundation
import LMInference
import LMNetwork
import LMStore
import LMTensor
import LMText
import LMTraining

/// One `lmtool train` run: reads the texts, builds or restores the model and its
/// directory, trains, reports. The work itself is the library's; this file decides what
/// the user sees.
struct TrainingSession {
    let command: TrainCommand

    private struct Data {
        /// Mapped from the model directory's `ids.bin`.
        var training: TokenIDs
        var validation: [Int32]
        /// Characters of the validation text (NFC, line ends included).
        var validationCharacters: Int
        var validationOutOfVocabularyRate: Double
        /// What the validation text's unknown tokens cost to spell, in bits.
        var validationUnknownSpellingBits: Double
        var vocabulary: Vocabulary
        var subwordModel: SubwordModel?
    }

    /// Trains as one process, or as one of `mpirun`'s; all of them leave MPI together once
    /// the run has ended on every one (an error ends this process alone, and `mpirun` the others).
    func run() throws {
        let processes = try TrainingProcesses.start()
        do {
            try run(as: processes)
        } catch let exit as ExitCode where exit != .failure {
            try processes.finish()  // an agreed stop (a signal): every process gets here
            throw exit
        }
        try processes.finish()
    }

    private func run(as processes: TrainingProcesses) throws {
        let started = Date()
        let directory: ModelDirectory
        var manifest: ModelManifest
        let data: Data
        var checkpoint: TrainingCheckpoint?
        var resumeChanges: [String: Any] = [:]
        if let resume = command.resume {
            directory = ModelDirectory(path: resume)
            manifest = try ModelManifest.read(path: directory.configPath)
            let settings = ResumeSettings(arguments: CommandLine.arguments)
            try settings.checkFixed(corpus: command.corpus, trainedOn: manifest.corpus, directory: resume)
            let processNote = try processes.check(
                batchSize: manifest.training.batchSize, trainedBy: manifest.processes, resuming: resume)
            resumeChanges = settings.apply(command.training, to: &manifest.training)
            if let processNote {
                if processes.writes { printError("lmtool: note: \(processNote)") }
                manifest.processes = processes.manifestCount
                resumeChanges["processes"] = processes.count
            }
            if manifest.training.threads != ComputeThreads.count {
                manifest.training.threads = ComputeThreads.count
                resumeChanges["threads"] = ComputeThreads.count
            }
            var saved = try directory.readCheckpoint()
            let finished = saved.position.finished
            guard saved.position.reopen(epochs: manifest.training.epochs) else {
                let done = saved.position.epochsCompleted
                print("\(resume): this run has trained its \(done) epochs; to train more, pass --epochs N with N above \(done)")
                return
            }
            // A run that stopped early, or whose schedule changes, counts validations
            // without improvement afresh; an interrupted one goes on exactly as it was.
            let schedule = settings.scheduleChanges(manifest.training)
            if finished || schedule.learningRate != nil || schedule.annealFactor != nil || schedule.patience != nil {
                saved.position.schedule.resume(
                    learningRate: schedule.learningRate, annealFactor: schedule.annealFactor, patience: schedule.patience)
            }
            checkpoint = saved
            let (vocabulary, subwordModel) = try directory.readTokens(manifest: manifest)
            data = try readTexts(
                corpus: command.corpus ?? manifest.corpus, validation: manifest.validation,
                fraction: manifest.validationFraction, tokenizer: manifest.tokenizer,
                existing: (vocabulary, subwordModel), directory: directory)
        } else {
            _ = try processes.check(batchSize: command.trainingOptions.batchSize, trainedBy: nil, resuming: nil)
            let corpus = command.corpus ?? ""
            directory = ModelDirectory(path: command.out ?? Self.defaultDirectory(for: corpus))
            if processes.writes { try refuseToReplaceModel(in: directory) }
            data = try readTexts(
                corpus: corpus, validation: command.valid, fraction: command.validFraction,
                tokenizer: command.tokenizerFlags.options, existing: nil, directory: directory)
            manifest = ModelManifest(
                lmtoolVersion: LMToolVersion.current,
                model: command.model.configuration(vocabularySize: data.vocabulary.count),
                tokenizer: command.tokenizerFlags.options, minCount: command.minCount,
                maxVocabulary: command.maxVocab, training: command.trainingOptions, corpus: corpus,
                validation: command.valid, validationFraction: command.validFraction)
            manifest.training.threads = ComputeThreads.count
            manifest.processes = processes.manifestCount
            checkpoint = nil
        }
        let options = manifest.training
        var generator = RandomGenerator(seed: options.seed)
        let model = try LanguageModel(configuration: manifest.model, generator: &generator)
        let trainer = try Trainer(
            model: model, options: options, training: data.training, validation: data.validation,
            resumingFrom: checkpoint, group: processes.group)
        StopSignals.install()
        guard processes.writes else {
            _ = try trainer.run(sink: DiscardingSink(), stopSignal: { StopSignals.pending })
            return
        }
        try directory.create()
        let lock = try DirectoryLock(directory: directory.path)
        defer { lock.release() }
        if let pid = lock.abandonedBy {
            printError("lmtool: note: \(lock.path) was left by pid \(pid), which is no longer running; taken over")
        }
        if checkpoint == nil {
            for stale in [directory.checkpointPath, directory.metricsPath, directory.weightsPath, directory.plotPath] {
                try? FileManager.default.removeItem(atPath: stale)
            }
            try directory.write(manifest: manifest)
            try directory.write(vocabulary: data.vocabulary)
            if let subwordModel = data.subwordModel { try directory.write(subwordModel: subwordModel) }
        } else if !resumeChanges.isEmpty {
            try directory.write(manifest: manifest)
        }
        let metrics = try MetricsLog(path: directory.metricsPath)
        var environment = Self.environmentRecord(resumed: checkpoint != nil)
        environment["processes"] = processes.count
        if !resumeChanges.isEmpty { environment["changed"] = resumeChanges }
        try metrics.append(environment)

        let parameterCount = manifest.model.parameterCount ?? 0
        print("model: \(manifest.model.layers)-layer \(manifest.model.cell.rawValue) \(manifest.model.lastHiddenSize.map { "\(manifest.model.hiddenSize) (last \($0))" } ?? "\(manifest.model.hiddenSize)") units, embedding \(manifest.model.embeddingSize), vocabulary \(data.vocabulary.count), \(parameterCount) parameters")
        print("data: \(data.training.count) training tokens, \(data.validation.count) validation tokens; BLAS \(BLASKernel.current), \(ComputeThreads.count == 1 ? "1 thread" : "\(ComputeThreads.count) threads")\(options.shards > 1 ? ", \(options.shards) shards of the batch's streams" : "")")
        if options.bfloat16Products {
            let native = CPUFeatures.current.avx512bf16
            print("products in bfloat16 (--bf16)\(native ? " on AVX512_BF16" : "; this CPU has no AVX512_BF16: they are rounded as they would be there, but run slower than in Float32")")
        }
        print("model directory: \(directory.path)")
        if processes.count > 1 {
            print("data parallel: \(processes.count) processes (mpirun), \(options.batchSize / processes.count) of the \(options.batchSize) streams each")
        }

        if data.validationOutOfVocabularyRate > OutOfVocabularyWarning.threshold {
            printError(OutOfVocabularyWarning.message(rate: data.validationOutOfVocabularyRate, text: "the validation text"))
        }
        let progress = ProgressPrinter(
            metrics: metrics, interactive: isatty(STDOUT_FILENO) == 1,
            validationTokensPerCharacter: Double(data.validation.count) / Double(max(1, data.validationCharacters)),
            validationSpellingBitsPerCharacter: data.validationUnknownSpellingBits / Double(max(1, data.validationCharacters)))
        let report = try trainer.run(sink: directory, stopSignal: { StopSignals.pending }, onEvent: progress.handle)
        progress.finish()
        try? AtomicFile.write(
            Foundation.Data(TrainingCurve(title: "lmtool: \(directory.path)", metricsAt: directory.metricsPath).svg().utf8),
            to: directory.plotPath)
        if FileManager.default.fileExists(atPath: directory.weightsPath) { try directory.markLatest() }

        switch report.ending {
        case .interrupted(let signal):
            printError("lmtool: interrupted by signal \(signal); checkpoint saved. Resume with: \(processes.resumeCommand(directory.path))")
            throw ExitCode(128 + signal)
        case .completed: print("training finished after \(report.epochs) epochs")
        case .earlyStopped: print("early stop: validation did not improve for \(options.patience ?? 0) validations")
        case .timeBudget: print("time budget of \(options.maxMinutes ?? 0) minutes reached; resume with: \(processes.resumeCommand(directory.path))")
        }
        if let group = processes.group, group.averaging.updates > 0 {
            // One averaging per update: per window unless --accumulate.
            let each = options.accumulate > 1 ? "an update (\(options.accumulate) windows)" : "a window"
            let (averaging, updates) = (group.averaging, Double(group.averaging.updates))
            let cost =
                group.overlapsBackwardPass
                ? String(
                    format: "%.2f ms \(each) beside the backward pass, %.2f ms waited for after it",
                    1000 * averaging.busySeconds / updates, 1000 * averaging.waitedSeconds / updates)
                : String(
                    format: "%.2f ms \(each) after the backward pass (processes of one machine)",
                    1000 * averaging.waitedSeconds / updates)
            let means = group.sumsInSharedMemory ? "in shared memory" : "MPI_Allreduce"
            print("gradient averaging (\(means)) on process 0: \(cost), \(String(format: "%.1f", averaging.waitedSeconds)) s in all")
        }
        if let best = report.bestValidationPerplexity {
            print(String(format: "best validation perplexity %.2f (%.3f bits per character)", best, progress.bitsPerCharacter(best)))
        }
        if let test = command.test, FileManager.default.fileExists(atPath: directory.weightsPath) {
            let loaded = try directory.load()
            let encoded = try Corpus.encode(path: test, tokenizer: loaded.makeTokenizer(), vocabulary: loaded.vocabulary)
            let result = Evaluator(model: loaded.model).evaluate(encoded.ids)
            let bits = result.bitsPerCharacter(of: encoded)
            print(String(format: "test perplexity %.2f, %.3f bits per character (%d tokens, %.2f%% out of vocabulary)", result.perplexity, bits, result.tokens, 100 * encoded.outOfVocabularyRate))
            if encoded.outOfVocabularyRate > OutOfVocabularyWarning.threshold {
                printError(OutOfVocabularyWarning.message(rate: encoded.outOfVocabularyRate, text: test))
            }
            try metrics.append([
                "kind": "test", "perplexity": result.perplexity, "bits_per_character": bits, "tokens": result.tokens,
                "oov_rate": encoded.outOfVocabularyRate,
            ])
        }
        print(String(format: "%d tokens seen in %.1f minutes; model in %@", report.tokensSeen, Date().timeIntervalSince(started) / 60, directory.path))
    }

    /// Refuses a fresh run into a directory that holds a model, unless `--overwrite`.
    private func refuseToReplaceModel(in directory: ModelDirectory) throws {
        let previous = [directory.weightsPath, directory.checkpointPath].filter { FileManager.default.fileExists(atPath: $0) }
        if !previous.isEmpty && !command.overwrite {
            throw CommandError(
                description:
                    "\(directory.path) already holds a model; continue it with --resume \(directory.path), choose another --out, or pass --overwrite to replace it")
        }
    }

    /// Training and validation ids. Without an existing vocabulary (a fresh run), builds
    /// it, and for subword units trains the SentencePiece model, from the training part
    /// only (``corpusIDs(corpus:tokenizer:subwordModel:heldOutFraction:split:existing:directory:)``).
    private func readTexts(
        corpus: String, validation: String?, fraction: Double, tokenizer options: TokenizerOptions,
        existing: (vocabulary: Vocabulary, subwordModel: SubwordModel?)?, directory: ModelDirectory
    ) throws -> Data {
        let heldOutFraction = validation == nil ? fraction : 0
        var subwordModel = existing?.subwordModel
        var subwordTrainingLines: Int?
        if options.mode == .subword && existing == nil {
            let started = Date()
            let trained = try SubwordModel.train(
                path: corpus, options: options, heldOutFraction: heldOutFraction, threads: ComputeThreads.count,
                seed: command.trainingOptions.seed)
            subwordModel = trained.model
            subwordTrainingLines = trained.trainingLines
            print(String(
                format: "tokenizer: %@ subword model of %d pieces trained on %d lines in %.1f s",
                (options.subwordAlgorithm ?? .unigram).rawValue, trained.model.pieces.count, trained.trainingLines,
                Date().timeIntervalSince(started)))
        }
        let split: TokenIDFile.Split =
            validation != nil ? .none : subwordTrainingLines.map { .afterLines($0) } ?? .heldOut(fraction: fraction)
        let (file, vocabulary) = try corpusIDs(
            corpus: corpus, tokenizer: options, subwordModel: subwordModel, heldOutFraction: heldOutFraction, split: split,
            existing: existing?.vocabulary, directory: directory)
        let held: [Int32]
        let heldCharacters: Int
        let heldOutOfVocabulary: Int
        let heldSpellingBits: Double
        if let validation {
            let encoded = try Corpus.encode(
                path: validation, tokenizer: Tokenizer(options: options, subwordModel: subwordModel), vocabulary: vocabulary)
            guard encoded.ids.contains(where: { $0 > Vocabulary.endOfLineID }) else { throw TrainingError.noKnownTokens(path: validation) }
            (held, heldCharacters, heldOutOfVocabulary) = (encoded.ids, encoded.characters, encoded.outOfVocabulary)
            heldSpellingBits = encoded.unknownSpellingBits
        } else {
            held = Array(file.heldOut)
            file.ids.releaseReadPages()
            (heldCharacters, heldOutOfVocabulary) = (file.heldOutCharacters, file.heldOutUnknown)
            heldSpellingBits = file.heldOutUnknownSpellingBits
            if existing == nil {
                print("validation: holding out the last \(held.count) tokens (\(Int(fraction * 100))%) of \(corpus); pass --valid FILE to use another text")
            }
        }
        let heldRate = held.isEmpty ? 0 : Double(heldOutOfVocabulary) / Double(held.count)
        return Data(
            training: file.training, validation: held, validationCharacters: heldCharacters,
            validationOutOfVocabularyRate: heldRate, validationUnknownSpellingBits: heldSpellingBits, vocabulary: vocabulary,
            subwordModel: subwordModel)
    }

    /// The corpus's ids and the vocabulary: the directory's `ids.bin` when it was made
    /// from this corpus with `existing` (a resume), otherwise the corpus tokenized on
    /// every thread and the file written (by each process of a data-parallel run, each its
    /// own identical copy, renamed into place whole), with the vocabulary counted from the
    /// training part unless it is `existing`.
    private func corpusIDs(
        corpus: String, tokenizer options: TokenizerOptions, subwordModel model: SubwordModel?, heldOutFraction: Double,
        split: TokenIDFile.Split, existing: Vocabulary?, directory: ModelDirectory
    ) throws -> (TokenIDFile, Vocabulary) {
        func key(of vocabulary: Vocabulary) -> TokenIDFile.Key? {
            TokenIDFile.Key(
                vocabulary: vocabulary, tokenizer: options, subwordModel: model, heldOutFraction: heldOutFraction,
                corpus: corpus)
        }
        if let existing, let key = key(of: existing) {
            switch TokenIDFile.open(at: directory.idsPath, key: key, vocabularySize: existing.count) {
            case .current(let file):
                print("ids: \(file.ids.count) read from \(directory.idsPath)")
                return (file, existing)
            case .unusable(let reason):
                printError("lmtool: note: \(directory.idsPath): \(reason); tokenizing \(LineReader.name(of: corpus)) again")
            }
        }
        try directory.create()
        let started = Date()
        let built = try TokenIDFile.build(
            at: directory.idsPath, corpus: corpus, key: key(of:), split: split, threads: ComputeThreads.count,
            makeTokenizer: { Tokenizer(options: options, subwordModel: model) },
            vocabulary: { counts in
                existing
                    ?? model.map { Vocabulary(subwordModel: $0, counts: counts) }
                    ?? Vocabulary(counts: counts, minCount: command.minCount, maxSize: command.maxVocab)
            })
        print(String(
            format: "ids: %@ tokenized on %@ in %.1f s: %d ids in %@", LineReader.name(of: corpus),
            ComputeThreads.count == 1 ? "1 thread" : "\(ComputeThreads.count) threads", Date().timeIntervalSince(started),
            built.file.ids.count, directory.idsPath))
        return built
    }

    /// `models/<name>`: the corpus file's name, or its folder's for split files
    /// (`corpora/tinyshakespeare/train.txt` → `models/tinyshakespeare`); `models/stdin`
    /// for a corpus read from standard input (`-`).
    static func defaultDirectory(for corpus: String) -> String {
        if corpus == LineReader.standardInput { return "models/stdin" }
        let url = URL(fileURLWithPath: corpus)
        var name = url.deletingPathExtension().lastPathComponent
        if ["train", "training", "input", "corpus"].contains(name.lowercased()) {
            name = url.deletingLastPathComponent().lastPathComponent
        }
        return "models/" + name
    }

    /// What a slow run needs explaining by: versions, kernel, threads, CPU.
    static func environmentRecord(resumed: Bool) -> [String: Any] {
        let cpu = CPUFeatures.current
        return [
            "kind": resumed ? "resume" : "start", "lmtool": LMToolVersion.current, "blas_core": BLASKernel.current,
            "blas_reason": BLASKernel.reason.rawValue, "threads": ComputeThreads.count, "cpu": cpu.brand,
            "cpu_features": cpu.featureNames.joined(separator: " "), "time": ISO8601DateFormatter().string(from: Date()),
        ]
    }
}
