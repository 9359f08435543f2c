import CMPI
import Foundation
import LMTraining

/// The processes `mpirun` started together (MPI's `MPI_COMM_WORLD`), reached through
/// `CMPI`. MPI is initialised only in a process that `mpirun` started (Open MPI sets
/// `OMPI_COMM_WORLD_SIZE` for it); any other process is a group of one and never touches
/// MPI. Every call reports MPI's failures as ``ProcessGroupError`` (the communicator
/// returns errors instead of aborting).
package final class ProcessGroup: Collectives {
    package let rank: Int
    package let processCount: Int
    package let spansMachines: Bool

    /// The group of this process: `mpirun`'s, or one process alone.
    /// - Throws: ``ProcessGroupError`` when MPI fails to start.
    package static func current(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> ProcessGroup?
    {
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil else { return nil }
        var rank: Int32 = 0
        var size: Int32 = 0
        try check(cmpi_init(&rank, &size), "MPI_Init_thread")
        var onThisMachine: Int32 = 0
        try check(cmpi_node_size(&onThisMachine), "MPI_Comm_split_type")
        return ProcessGroup(rank: Int(rank), processCount: Int(size), spansMachines: onThisMachine < size)
    }

    private init(rank: Int, processCount: Int, spansMachines: Bool) {
        self.rank = rank
        self.processCount = processCount
        self.spansMachines = spansMachines
    }

    package func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        try Self.check(cmpi_sum_floats(values.baseAddress, Int64(values.count)), "MPI_Allreduce")
    }

    package func sum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        try Self.check(cmpi_sum_doubles(values.baseAddress, Int64(values.count)), "MPI_Allreduce")
    }

    /// MPI's shared-memory window of the processes, when all of them are on this machine.
    package func sharedSum(count: Int) throws -> (any SharedSum)? {
        guard !spansMachines else { return nil }
        var local: UnsafeMutablePointer<Float>?
        var shared: OpaquePointer?
        try Self.check(cmpi_shared_sum_create(Int64(count), &local, &shared), "MPI_Win_allocate_shared")
        return SharedWindowSum(local: local!, shared: shared!)
    }

    /// Ends every process of the group with exit status `code` (`MPI_Abort`): for a process
    /// that cannot go on while the others wait for it in a collective call.
    package func abort(code: Int32) -> Never {
        cmpi_abort(code)
        exit(code)  // MPI_Abort does not return; this keeps the compiler's `Never`
    }

    /// Leaves MPI (`MPI_Finalize`); every process calls it once, at the end.
    package func finish() throws {
        try Self.check(cmpi_finalize(), "MPI_Finalize")
    }

    /// Open MPI's version ("Open MPI v4.1.4"), without initialising MPI.
    package static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: 256)
        cmpi_library_version(&buffer)
        return String(Self.text(buffer).prefix { $0 != "," })
    }

    /// Where `mpirun`, which starts the processes of a group, is on `PATH`, if it is.
    package static func launcher(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        (environment["PATH"] ?? "").split(separator: ":").map { "\($0)/mpirun" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    fileprivate static func check(_ status: Int32, _ call: String) throws(ProcessGroupError) {
        guard status != 0 else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        cmpi_error_string(status, &buffer)
        throw ProcessGroupError(call: call, message: Self.text(buffer))
    }

    /// The NUL-terminated UTF-8 text a C call wrote into `buffer`.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// ``SharedSum`` over `CMPI`'s shared-memory window; the window lives as long as the
/// process (MPI_Finalize frees it).
private final class SharedWindowSum: SharedSum {
    let local: UnsafeMutablePointer<Float>
    private let shared: OpaquePointer

    init(local: UnsafeMutablePointer<Float>, shared: OpaquePointer) {
        self.local = local
        self.shared = shared
    }

    func run(count: Int) throws {
        try ProcessGroup.check(cmpi_shared_sum_run(shared, Int64(count)), "MPI_Barrier")
    }
}

/// An MPI call that failed, typically because another process of the run died.
package struct ProcessGroupError: Error, CustomStringConvertible {
    package let call: String
    package let message: String

    package var description: String { "\(call) failed: \(message) (did another training process stop?)" }
}
