import ArgumentParser
import Foundation

/// A failure the CLI reports as one line on stderr (`lmtool: error: …`) with a non-zero
/// exit: flag values out of range, and every library error, whose descriptions already
/// name the file and the place.
struct CommandError: Error, CustomStringConvertible {
    let description: String

    static func flag(_ name: String, _ problem: String) -> CommandError {
        CommandError(description: "\(name) \(problem)")
    }
}

/// Runs a command body, turning any error into one stderr line and exit code 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("lmtool: error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// Writes to stderr (warnings and progress that must not mix with generated text).
func printError(_ message: String, terminator: String = "\n") {
    FileHandle.standardError.write(Data((message + terminator).utf8))
}
