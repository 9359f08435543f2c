import Dispatch
import LMInference
import LMNetwork
import LMTensor
import LMText

/// The processes of one data-parallel training run, as the ``Trainer`` sees them. Each
/// process holds the same weights and runs its ``BatchShard`` of every window, `B / N` of
/// the batch's `B` streams; the gradients are summed over the processes, and the update
/// divides the sums by `N`. Each process's loss is a mean over its `T · B/N` tokens, so
/// that average is the gradient of the whole batch's mean loss, and clipping and the
/// update that follow are those of one process running the whole batch (to the order of
/// the sums). Stopping is agreed by every process each window, so all stop together.
///
/// Processes on several machines sum each layer's gradients while the backward pass goes
/// on below it, on an ``AveragingThread``: their sums are mostly network transfers, which
/// leave the cores to the backward pass. Processes of one machine sum after the backward
/// pass, on the trainer's thread: their sums are made by the same cores the backward pass
/// needs, and running them beside it made training 4-7% slower, not faster
/// (BENCHMARKS.md). Their dense gradients live in memory they all map (``SharedSum``,
/// placed by ``placeGradients(of:)``), where each process sums its share of every
/// process's gradients in place, without the copies `MPI_Allreduce` makes. Either way the
/// sums are the same.
public final class DataParallelGroup {
    package let collectives: any Collectives
    /// `[V]`: 1 where a process touched an embedding row in this window (summed over processes).
    private var touchedRows: [Float] = []
    /// `[rows touched by any process, E]`: those rows' gradients, summed over processes.
    private var rowBlock: [Float] = []

    /// The cost of summing gradients so far: the seconds the trainer waited for it (what
    /// overlapping it with the backward pass left over), the seconds the sums took, and the
    /// updates summed.
    public private(set) var averaging = (waitedSeconds: 0.0, busySeconds: 0.0, updates: 0)
    /// Whether the sums run beside the backward pass (processes on several machines).
    public var overlapsBackwardPass: Bool { collectives.spansMachines }
    /// Runs the sums of ``startSumming(_:)`` while the backward pass goes on.
    private lazy var averagingThread = AveragingThread()
    /// Without overlap: the sums handed over for this update, run by ``finishSumming(loss:)``.
    private var sumsAfterBackward: [() throws -> Void] = []
    /// Processes of one machine: the memory that holds every dense gradient, one after
    /// another, and how many floats of it they take.
    private var sharedGradients: (sum: any SharedSum, count: Int)?
    /// Whether this update's dense gradients were handed over, to be summed in shared memory.
    private var sharedSumDue = false
    /// Whether the dense gradients are summed in memory the processes share
    /// (``placeGradients(of:)`` found it), not by `MPI_Allreduce`.
    public var sumsInSharedMemory: Bool { sharedGradients != nil }

    package init(_ collectives: any Collectives) { self.collectives = collectives }

    public var rank: Int { collectives.rank }
    public var processCount: Int { collectives.processCount }

    /// This process's streams of a batch of `batchSize`.
    /// - Throws: ``BatchSplitError`` when the processes cannot share the batch equally.
    public func shard(ofBatch batchSize: Int) throws(BatchSplitError) -> BatchShard {
        try BatchShard(batchSize: batchSize, processes: processCount, rank: rank)
    }

    /// Moves the dense gradients of `parameters` (the model's, in the same order on every
    /// process) into memory the processes share, where processes of one machine sum them
    /// in place; does nothing for processes on several machines, or where the processes
    /// cannot share memory. Every process calls it once, before training.
    package func placeGradients(of parameters: [Parameter]) throws {
        guard !overlapsBackwardPass && sharedGradients == nil else { return }
        let dense = parameters.filter { $0.rowGradient == nil }
        /// Each gradient starts on a cache line of its own (16 floats).
        func aligned(_ count: Int) -> Int { (count + 15) / 16 * 16 }
        let count = dense.reduce(0) { $0 + aligned($1.value.count) }
        guard let sum = try collectives.sharedSum(count: count) else { return }
        var offset = 0
        for parameter in dense {
            parameter.placeGradient(in: sum.local + offset)
            offset += aligned(parameter.value.count)
        }
        sharedGradients = (sum, count)
    }

    /// Hands over `parameters`' gradients to be replaced by their sums over the processes:
    /// the backward pass hands each layer's parameters over as soon as their gradients are
    /// final. With ``overlapsBackwardPass`` their sums start at once on the averaging
    /// thread; otherwise ``finishSumming(loss:)`` runs them. Every parameter is handed over
    /// once per update, in the same order on every process, and ``finishSumming(loss:)``
    /// ends the update's sums; no other call of the group may come in between. The update
    /// divides the sums by the processes (and by `--accumulate`'s windows) as it reads
    /// them, so no pass over the gradients scales them here.
    ///
    /// A dense gradient is summed in place. An embedding table's row-sparse gradient
    /// (`RowSparseGradient`) is summed over the union of the rows any process touched: a
    /// `[V]` vector of flags is summed first, then each process lays out the union's rows in
    /// ascending order (zeros for rows it did not touch) as one `[U, E]` block and the blocks
    /// are summed, so `U · E` values travel instead of the `V · E` of a dense table.
    package func startSumming(_ parameters: [Parameter]) {
        let sums = { [self] in
            for parameter in parameters {
                if let rows = parameter.rowGradient {
                    try sumRows(rows)
                } else if sharedGradients != nil {
                    sharedSumDue = true  // all of them at once, by finishSumming
                } else {
                    try parameter.gradient.withUnsafeMutableBufferPointer { try collectives.sum($0) }
                }
            }
        }
        if overlapsBackwardPass { averagingThread.enqueue(sums) } else { sumsAfterBackward.append(sums) }
    }

    /// Waits until the gradients handed to ``startSumming(_:)`` are summed.
    /// - Returns: the mean of `loss` over the processes: the whole batch's mean loss.
    package func finishSumming(loss: Double) throws -> Double {
        let started = DispatchTime.now().uptimeNanoseconds
        var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        if overlapsBackwardPass {
            averaging.busySeconds += try averagingThread.waitUntilDone()
        } else {
            defer { sumsAfterBackward.removeAll() }
            for sums in sumsAfterBackward { try sums() }
            if let sharedGradients, sharedSumDue {
                sharedSumDue = false
                try sharedGradients.sum.run(count: sharedGradients.count)
            }
            averaging.busySeconds += seconds
        }
        averaging.waitedSeconds += seconds
        averaging.updates += 1
        var losses = [loss]
        try losses.withUnsafeMutableBufferPointer { try collectives.sum($0) }
        return losses[0] / Double(processCount)
    }

    private func sumRows(_ gradient: RowSparseGradient) throws {
        let width = gradient.rowWidth
        if touchedRows.count != gradient.rowCount { touchedRows = [Float](repeating: 0, count: gradient.rowCount) }
        for row in gradient.rows { touchedRows[Int(row)] = 1 }
        try touchedRows.withUnsafeMutableBufferPointer { try collectives.sum($0) }
        var union: [Int] = []
        for row in touchedRows.indices where touchedRows[row] > 0 {
            union.append(row)
            touchedRows[row] = 0
        }
        if rowBlock.count < union.count * width { rowBlock = [Float](repeating: 0, count: union.count * width) }
        try rowBlock.withUnsafeMutableBufferPointer { block in
            for (slot, row) in union.enumerated() {
                (block.baseAddress! + slot * width).update(from: gradient.row(row), count: width)
            }
            try collectives.sum(UnsafeMutableBufferPointer(rebasing: block[..<(union.count * width)]))
            gradient.zero()
            for (slot, row) in union.enumerated() { gradient.add(row: row, block.baseAddress! + slot * width) }
        }
    }

    /// The mean cross-entropy of `tokens` read as `batchSize` streams (``Evaluator``, its
    /// streams in `shards` groups per process), each process scoring its ``BatchShard`` of
    /// the streams and the sums added: one process's figure, summed in another order. A
    /// batch the processes cannot share is scored whole by each.
    package func crossEntropy(
        of tokens: [Int32], model: LanguageModel, batchSize: Int, windowLength: Int, shards: Int = 1
    ) throws -> Double {
        guard let shard = try? shard(ofBatch: batchSize) else {
            return Evaluator(model: model, batchSize: batchSize, windowLength: windowLength, shards: shards)
                .evaluate(tokens).crossEntropy
        }
        let part = Evaluator(model: model, batchSize: shard.count, windowLength: windowLength, shards: shards)
            .evaluate(shard.streams(of: tokens))
        var sums = [part.negativeLogLikelihood, Double(part.tokens)]
        try sums.withUnsafeMutableBufferPointer { try collectives.sum($0) }
        return sums[1] > 0 ? sums[0] / sums[1] : .nan
    }

    /// What every process goes by before the next window: the signal that the
    /// lowest-ranked process to receive one received (nil: none), and process 0's clock
    /// (`seconds` since the run began), so that anything timed, such as the budget, is
    /// decided alike everywhere.
    package func agreeBeforeWindow(signal: Int32?, seconds: Double) throws -> (signal: Int32?, seconds: Double) {
        // Slot r: process r's signal (0: none); the last slot: process 0's clock.
        var votes = [Double](repeating: 0, count: processCount + 1)
        votes[rank] = Double(signal ?? 0)
        if rank == 0 { votes[processCount] = seconds }
        try votes.withUnsafeMutableBufferPointer { try collectives.sum($0) }
        return (votes[..<processCount].first { $0 != 0 }.map { Int32($0) }, votes[processCount])
    }

    /// The whole batch's recurrent state `[B, H]` per tensor, from each process's rows
    /// `[B/N, H]` (`values`, named as ``RecurrentState/namedValues``): each process places its
    /// rows among zeros and the tensors are summed.
    package func gatherState(_ values: [String: [Float]], shard: BatchShard) throws -> [String: [Float]] {
        var gathered: [String: [Float]] = [:]
        for name in values.keys.sorted() {
            let rows = values[name]!
            let width = rows.count / shard.count
            var whole = [Float](repeating: 0, count: shard.total * width)
            whole.replaceSubrange(shard.first * width..<(shard.first + shard.count) * width, with: rows)
            try whole.withUnsafeMutableBufferPointer { try collectives.sum($0) }
            gathered[name] = whole
        }
        return gathered
    }

    /// Checks that every process holds the same weights, bit for bit: they drift apart
    /// only if the processes' updates differ, which would silently train N different
    /// models; at the start, only if they read different checkpoints.
    /// - Throws: ``TrainingError/processesHoldDifferentWeights`` when they differ.
    package func checkWeightsAgree(_ parameters: [Parameter]) throws {
        var hash = FNV1a()
        for parameter in parameters {
            parameter.value.withUnsafeBufferPointer { values in for value in values { hash.add(value.bitPattern) } }
        }
        guard try everyProcessHas(hash.value) else { throw TrainingError.processesHoldDifferentWeights }
    }

    /// Checks that every process read the same token ids (the same texts and vocabulary).
    /// Mapped training ids are released as they are hashed (``TokenIDs/forEachPiece(_:)``).
    /// - Throws: ``TrainingError/processesReadDifferentTexts`` when they differ.
    package func checkTokensAgree(training: TokenIDs, validation: [Int32]) throws {
        var hash = FNV1a()
        hash.add(UInt32(truncatingIfNeeded: training.count))
        training.forEachPiece { tokens in for token in tokens { hash.add(UInt32(bitPattern: token)) } }
        hash.add(UInt32(truncatingIfNeeded: validation.count))
        for token in validation { hash.add(UInt32(bitPattern: token)) }
        guard try everyProcessHas(hash.value) else { throw TrainingError.processesReadDifferentTexts }
    }

    /// Whether every process's `hash` is this one's: each puts its own in its slot (53 bits,
    /// exact in a Double) and the slots are summed.
    private func everyProcessHas(_ hash: UInt64) throws -> Bool {
        var hashes = [Double](repeating: 0, count: processCount)
        hashes[rank] = Double(hash >> 11)
        try hashes.withUnsafeMutableBufferPointer { try collectives.sum($0) }
        return hashes.allSatisfy { $0 == hashes[0] }
    }
}

/// FNV-1a over 32-bit words.
private struct FNV1a {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(_ word: UInt32) { value = (value ^ UInt64(word)) &* 0x100_0000_01B3 }
}
