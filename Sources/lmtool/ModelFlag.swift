import ArgumentParser
import LMStore

/// `--model DIR`, defaulting to `models/latest`, for the commands that use a trained model.
struct ModelFlag: ParsableArguments {
    @Option(help: "Model directory written by 'lmtool train'.")
    var model = "models/latest"

    func load() throws -> ModelDirectory.Loaded { try ModelDirectory(path: model).load() }
}
