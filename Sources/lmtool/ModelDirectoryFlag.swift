import ArgumentParser
import Foundation
import LMStore

/// `--model DIR`, defaulting to `models/latest`, for the commands that use a trained model.
struct ModelDirectoryFlag: ParsableArguments {
    @Option(help: "Model directory written by 'lmtool train'.")
    var model = Self.latest

    static let latest = "models/latest"

    func load() throws -> ModelDirectory.Loaded {
        if model == Self.latest && !FileManager.default.fileExists(atPath: model) {
            throw CommandError(
                description: "no model yet (\(Self.latest) does not exist): train one first, for example 'lmtool train corpus.txt', or pass --model DIR")
        }
        return try ModelDirectory(path: model).load()
    }
}
