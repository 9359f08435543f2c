import Foundation

/// SIGINT and SIGTERM set a flag the trainer polls between steps, so Ctrl-C finishes the
/// current step and writes a checkpoint instead of killing the process mid-write.
enum StopSignals {
    nonisolated(unsafe) private static var received: Int32 = 0

    static func install() {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for number in [SIGINT, SIGTERM] {
            signal(number) { StopSignals.received = $0 }
            sigaddset(&unblock, number)
        }
        // A parent may have started lmtool with these signals blocked (the mask is
        // inherited); they would then never arrive.
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// The signal that arrived, if any.
    static var pending: Int32? { received == 0 ? nil : received }
}
