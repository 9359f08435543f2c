import ArgumentParser
import Foundation
import LMTensor

// OpenBLAS fixes its kernel when it loads, before any Swift code runs; this re-executes
// lmtool once with the best kernel for the CPU unless the user chose one.
BLASKernel.prepareProcess(arguments: CommandLine.arguments)

// Parse errors, and the flag checks that each command and option group makes in its
// `validate()` (ArgumentParser runs them after parsing, before `run()`), are reported like
// every other error: one line, no usage dump (`--help` shows the usage).
do {
    var command = try LMToolCommand.parseAsRoot(Preset.expanding(Array(CommandLine.arguments.dropFirst())))
    try command.run()
} catch {
    let code = LMToolCommand.exitCode(for: error)
    if code == .success || error is ExitCode {
        LMToolCommand.exit(withError: error)
    }
    printError("lmtool: error: \(LMToolCommand.message(for: error)) (see 'lmtool help')")
    exit(code.rawValue)
}
