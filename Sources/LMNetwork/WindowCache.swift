import LMTensor

/// The part of a recurrent layer's forward cache that every cell keeps alike, so that a
/// layer file reads as its cell's forward and backward: the window's shape `T`, `B`, and
/// each state tensor's history `[T + 1, B, H]`, the incoming state copied in as row 0, then
/// the state after each step, whose last row is copied back out as the final state.
/// Backward reads the same histories and gets, per state, the gradient carried from step
/// t + 1 back to step t, `[B, H]`.
///
/// One state (h) for the simple RNN and the GRU; two (h, then c) for the LSTM, in the order
/// of the layer's state tensors.
struct WindowCache {
    /// `T` of the last forward window, the one backward runs through.
    private(set) var windowLength = 0
    /// `B` of that window.
    private(set) var batchSize = 0
    /// `H`, each state's width.
    let width: Int
    /// `[T + 1, B, H]` per state.
    private var histories: [Workspace]
    /// `[B, H]` per state: backward's gradient arriving at step t's state from step t + 1.
    private var carried: [Workspace]

    init(stateCount: Int, width: Int) {
        self.width = width
        histories = Array(repeating: Workspace(), count: stateCount)
        carried = Array(repeating: Workspace(), count: stateCount)
    }

    /// `B · H`: one step of one state.
    var step: Int { batchSize * width }

    /// Starts a forward window: records `T` and `B`, and returns each state's history
    /// `[T + 1, B, H]` with row 0 set to the incoming state `state[i]`.
    mutating func beginForward(windowLength: Int, batchSize: Int, state: [Tensor]) -> [UnsafeMutablePointer<Float>] {
        self.windowLength = windowLength
        self.batchSize = batchSize
        let histories = reserveHistories()
        for (history, tensor) in zip(histories, state) { history.update(from: tensor.pointer, count: step) }
        return histories
    }

    /// Ends a forward window: each history's last row, the state after step T, into `state[i]`.
    mutating func finishForward(state: [Tensor]) {
        for (index, tensor) in state.enumerated() {
            let history = histories[index].reserve((windowLength + 1) * step)
            tensor.pointer.update(from: history + windowLength * step, count: step)
        }
    }

    /// Starts the backward pass through the last forward window: the histories forward
    /// filled, and each state's carried gradient `[B, H]` set to zero (nothing arrives
    /// from beyond the window).
    mutating func beginBackward() -> (histories: [UnsafeMutablePointer<Float>], carried: [UnsafeMutablePointer<Float>]) {
        let step = step
        return (reserveHistories(), carried.indices.map { carried[$0].reserveZeroed(step) })
    }

    private mutating func reserveHistories() -> [UnsafeMutablePointer<Float>] {
        let count = (windowLength + 1) * step
        return histories.indices.map { histories[$0].reserve(count) }
    }
}
