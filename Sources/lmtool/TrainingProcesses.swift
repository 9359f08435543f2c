import ArgumentParser
import Foundation
import LMDistributed
import LMNetwork
import LMTraining

/// The processes of one `lmtool train`: this one alone, or those `mpirun` started, which
/// train one model together (``DataParallelGroup``). Process 0 writes the model
/// directory, the metrics and the curve and prints progress; the others print nothing
/// but errors.
struct TrainingProcesses {
    /// `mpirun`'s processes, or nil for a process started without it (MPI untouched).
    let mpi: ProcessGroup?
    /// The trainer's view of them, or nil for one process.
    let group: DataParallelGroup?

    /// Joins `mpirun`'s processes when it started this one; silences the standard output
    /// of every process but the first.
    static func start() throws -> TrainingProcesses {
        guard let mpi = try ProcessGroup.current() else { return TrainingProcesses(mpi: nil, group: nil) }
        if mpi.rank != 0 {
            let null = open("/dev/null", O_WRONLY)
            dup2(null, STDOUT_FILENO)
            close(null)
        }
        return TrainingProcesses(mpi: mpi, group: DataParallelGroup(mpi))
    }

    var count: Int { mpi?.processCount ?? 1 }
    /// Whether this process writes the model directory and reports (process 0).
    var writes: Bool { (mpi?.rank ?? 0) == 0 }
    /// What `config.json` records: nil for one process (as before data-parallel training).
    var manifestCount: Int? { mpi == nil ? nil : count }

    /// Refuses a batch the processes cannot share; only process 0 says why (every process
    /// finds the same). A resume by another number of processes than the run's goes on
    /// when the batch splits between them (a checkpoint holds the whole batch's state);
    /// the note this returns says so: the sums then run in another order, so the run is
    /// the same only up to rounding.
    func check(batchSize: Int, trainedBy trained: Int?, resuming directory: String?) throws -> String? {
        if let group {
            do { _ = try group.shard(ofBatch: batchSize) } catch {
                if !writes { throw ExitCode.failure }
                throw CommandError(description: error.description)
            }
        }
        guard let directory, (trained ?? 1) != count else { return nil }
        return "\(directory) was trained by \(Self.describe(trained ?? 1)); it continues with \(Self.describe(count)), equal up to the order of the gradient sums"
    }

    /// The command that continues a stopped run with these processes.
    func resumeCommand(_ directory: String) -> String {
        "\(count > 1 ? "mpirun -np \(count) " : "")lmtool train --resume \(directory)"
    }

    private static func describe(_ count: Int) -> String {
        count == 1 ? "one process (without mpirun)" : "\(count) processes (mpirun -np \(count))"
    }

    /// Leaves MPI; every process calls it once the run has ended on all of them.
    func finish() throws {
        try mpi?.finish()
    }
}

/// The sink of every process but the first: process 0 alone writes the model directory.
struct DiscardingSink: TrainingSink {
    func saveBest(_ model: LanguageModel, validationPerplexity: Double) throws {}
    func saveCheckpoint(_ checkpoint: TrainingCheckpoint) throws {}
}
