import Foundation

/// SIGINT and SIGTERM set a flag the trainer polls between steps, so Ctrl-C finishes the
/// current step and writes a checkpoint instead of killing the process mid-write.
enum StopSignals {
    nonisolated(unsafe) private static var received: Int32 = 0

    static func install() {
        for number in [SIGINT, SIGTERM] {
            signal(number) { StopSignals.received = $0 }
        }
    }

    /// The signal that arrived, if any.
    static var pending: Int32? { received == 0 ? nil : received }
}
