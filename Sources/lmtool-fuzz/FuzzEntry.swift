import CFuzzer
import Foundation
import LMFuzzTargets

/// `lmtool-fuzz TARGET [FILE...]`.
///
/// Built normally, it replays inputs (crash reproducers, seed corpora) through a target.
/// Built by `scripts/fuzz` (coverage instrumentation, AddressSanitizer, `-D FUZZING`,
/// libFuzzer linked), `lmtool-fuzz TARGET [libFuzzer flags and corpus folders]` fuzzes it.
@main struct FuzzEntry {
    nonisolated(unsafe) static var target = FuzzTarget.model
    nonisolated(unsafe) static var directory: FuzzDirectory?

    static func main() {
        var arguments = CommandLine.arguments
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            print("usage: lmtool-fuzz \(names) [FILE...]")
            exit(2)
        }
        self.target = target
        do { directory = try FuzzDirectory() } catch {
            FileHandle.standardError.write(Data("lmtool-fuzz: cannot prepare a scratch model: \(error)\n".utf8))
            exit(2)
        }
        arguments.remove(at: 1)
        if arguments.count == 3 && arguments[1] == "--write-seed" {
            _ = FileManager.default.createFile(atPath: arguments[2], contents: directory!.validSeed(for: target))
            return
        }
        #if FUZZING
            exit(runLibFuzzer(arguments))
        #else
            for file in arguments.dropFirst() {
                guard let bytes = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("lmtool-fuzz: \(file): cannot be read\n".utf8))
                    exit(1)
                }
                target.run(bytes, in: directory!)
            }
            print("\(arguments.count - 1) inputs replayed through \(target.rawValue)")
        #endif
    }

    #if FUZZING
        static func runLibFuzzer(_ arguments: [String]) -> Int32 {
            var count = Int32(arguments.count)
            var pointers = arguments.map { strdup($0) } + [nil]
            return pointers.withUnsafeMutableBufferPointer { buffer in
                var argv = buffer.baseAddress
                return LLVMFuzzerRunDriver(&count, &argv) { data, size in
                    let bytes = data.map { Data(bytes: $0, count: size) } ?? Data()
                    FuzzEntry.target.run(bytes, in: FuzzEntry.directory!)
                    return 0
                }
            }
        }
    #endif
}
