import Foundation

/// Runs the built `lmtool` executable and captures what it prints.
struct CommandRunner {
    struct Outcome {
        var status: Int32
        var terminationReason: Process.TerminationReason
        var standardOutput: String
        var standardError: String

        /// The non-empty lines of stderr.
        var errorLines: [Substring] { standardError.split(separator: "\n") }
    }

    static let executable: URL = {
        // Test bundles and executables share one products folder (.build/<config>).
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: folder.appendingPathComponent("lmtool").path) {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("lmtool")
    }()

    /// A fresh temporary folder for one test.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lmtool-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @discardableResult
    /// Runs lmtool (or `executable`) with `arguments`; `environment` entries replace (a nil value removes)
    /// variables of this process's environment. `standardInput`, when given, is what the
    /// command reads on its standard input (then closed).
    static func run(
        _ arguments: [String], in directory: URL? = nil, environment: [String: String?] = [:],
        standardInput: Data? = nil, executable: URL = executable, onStart: ((Process) -> Void)? = nil
    ) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            var merged = ProcessInfo.processInfo.environment
            for (name, value) in environment { merged[name] = value }
            process.environment = merged
        }
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        // A command that exits before reading all of its input must not kill the tests.
        if standardInput != nil { signal(SIGPIPE, SIG_IGN) }
        let input = standardInput.map { _ in Pipe() }
        if let input { process.standardInput = input }
        try process.run()
        onStart?(process)
        if let input, let standardInput {
            // Written beside the reads below, so a large input cannot block on a full pipe.
            DispatchQueue.global().async {
                try? input.fileHandleForWriting.write(contentsOf: standardInput)
                try? input.fileHandleForWriting.close()
            }
        }
        // Both pipes drained together (a full stderr pipe must not block the child while
        // stdout is read), with EINTR retried: Foundation's readDataToEndOfFile traps on it,
        // and SIGCHLD from other tests' children interrupts reads.
        final class Collected: @unchecked Sendable { var data = Data() }
        let errors = Collected()
        let errorDescriptor = error.fileHandleForReading.fileDescriptor
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errors.data = Self.readToEnd(errorDescriptor)
            drained.signal()
        }
        let outputData = Self.readToEnd(output.fileHandleForReading.fileDescriptor)
        drained.wait()
        let errorData = errors.data
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, terminationReason: process.terminationReason, standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self))
    }

    static func readToEnd(_ descriptor: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
            } else if count == 0 || errno != EINTR {
                return data
            }
        }
    }

    /// A small corpus with structure a tiny model can learn in one quick epoch.
    static func writeCorpus(to url: URL, lines: Int = 600) throws {
        let words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "park", "."]
        var text = ""
        for line in 0..<lines {
            text += (0..<8).map { words[(line * 3 + $0 * ($0 + 1)) % words.count] }.joined(separator: " ") + "\n"
        }
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    static let tinyModelFlags = ["--embed", "16", "--hidden", "16", "--batch", "4", "--bptt", "8", "--epochs", "1", "--threads", "1"]
}
