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

    /// Refuses a batch the processes cannot share, and a resume by another number of
    /// processes than the run's; only process 0 says why (every process finds the same).
    func check(batchSize: Int, trainedBy trained: Int?, resuming directory: String?) throws {
        var problem: String?
        if let group {
            do { _ = try group.shard(ofBatch: batchSize) } catch { problem = error.description }
        }
        if let directory, (trained ?? 1) != count {
            problem = "\(directory) was trained by \(Self.describe(trained ?? 1)); resume it with \(Self.describe(trained ?? 1)), not \(Self.describe(count))"
        }
        guard let problem else { return }
        if !writes { throw ExitCode.failure }
        throw CommandError(description: problem)
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
