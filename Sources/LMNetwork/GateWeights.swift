import LMTensor

/// The parameters every cell shares: the fused input and recurrent transforms.
struct GateWeights {
    /// `[G, In]`
    let inputWeight: Parameter
    /// `[G, H]`
    let hiddenWeight: Parameter
    /// `[G]`
    let inputBias: Parameter
    /// `[G]`
    let hiddenBias: Parameter

    init(layer: Int, gates: Int, inputSize: Int, hiddenSize: Int, suffix: String, packing: PackedMatrix.Storage) {
        packedHidden = PackedMatrix(storage: packing)
        packedInput = PackedMatrix(storage: packing)
        projectedTable = Scratch()
        summedBiases = Scratch()
        biasGradientSums = Scratch()
        gradientProducts = GradientProducts()
        summedByID = Scratch()
        let tag = "l\(layer)\(suffix)"
        inputWeight = Parameter(name: "rnn.weight_ih_\(tag)", shape: [gates * hiddenSize, inputSize])
        hiddenWeight = Parameter(name: "rnn.weight_hh_\(tag)", shape: [gates * hiddenSize, hiddenSize])
        inputBias = Parameter(name: "rnn.bias_ih_\(tag)", shape: [gates * hiddenSize])
        hiddenBias = Parameter(name: "rnn.bias_hh_\(tag)", shape: [gates * hiddenSize])
    }

    var all: [Parameter] { [inputWeight, hiddenWeight, inputBias, hiddenBias] }
    /// A step's element-wise work (gates and cell update) is split between threads, by
    /// batch rows, from this many `[B, H]` elements.
    static let splitThreshold = 4096
    var gateWidth: Int { inputWeight.shape[0] }
    var inputSize: Int { inputWeight.shape[1] }

    /// `gates [N, G] = input [N, In] · W_ihᵀ + b_ih (+ b_hh when `includeHiddenBias`)`.
    /// When the input vectors are rows of a table of at most `N / 4` rows, the table's rows
    /// are projected instead and copied by id (``foldingPays(tableRows:rows:)``).
    func projectInput(_ input: LayerInput, rows: Int, into gates: UnsafeMutablePointer<Float>, includeHiddenBias: Bool) {
        guard let lookup = input.lookup, Self.foldingPays(tableRows: lookup.rows, rows: rows) else {
            projectInput(input.vectors, rows: rows, into: gates, includeHiddenBias: includeHiddenBias)
            return
        }
        precondition(lookup.ids.count == rows, "a lookup needs one id per input row")
        let width = gateWidth
        let table = projectedTable.workspace.reserve(lookup.rows * width)
        projectInput(lookup.table, rows: lookup.rows, into: table, includeHiddenBias: includeHiddenBias)
        ComputeThreads.forEachRange(of: rows, splitting: rows * width >= Self.splitThreshold) { range in
            for row in range {
                (gates + row * width).update(from: table + Int(lookup.ids[row]) * width, count: width)
            }
        }
    }

    /// What each row of a window's gate pre-activations still needs added after
    /// ``projectInputLeavingTerms(_:rows:into:)``, besides the recurrent product.
    enum InputTerms {
        /// The gates hold `x W_ihᵀ`; every row adds the biases `b_ih + b_hh` `[G]`.
        case biases(UnsafePointer<Float>)
        /// The gates are not written (a step's recurrent product overwrites them): row `r`
        /// adds row `ids[r]` of the input's table projected, `[V, G]`, biases included.
        case lookup(table: UnsafePointer<Float>, ids: [Int32], width: Int)

        /// Whether the gates hold the input's product, for the recurrent product to add to.
        var gatesHoldInput: Bool {
            if case .biases = self { return true }
            return false
        }

        /// What row `row` of the window adds, `[G]`.
        func row(_ row: Int) -> UnsafePointer<Float> {
            switch self {
            case .biases(let biases): biases
            case .lookup(let table, let ids, let width): table + Int(ids[row]) * width
            }
        }
    }

    /// `gates [N, G] = input [N, In] · W_ihᵀ` with the biases left for the cell to add as it
    /// reads each row; or, when the inputs are rows of a table of at most `N / 4` rows, only
    /// the table projected (biases included) for the cell to add by id, the gates left
    /// unwritten (no copy of `[N, G]` rows).
    func projectInputLeavingTerms(_ input: LayerInput, rows: Int, into gates: UnsafeMutablePointer<Float>)
        -> InputTerms
    {
        let width = gateWidth
        if let lookup = input.lookup, Self.foldingPays(tableRows: lookup.rows, rows: rows) {
            precondition(lookup.ids.count == rows, "a lookup needs one id per input row")
            let table = projectedTable.workspace.reserve(lookup.rows * width)
            projectInput(lookup.table, rows: lookup.rows, into: table, includeHiddenBias: true)
            return .lookup(table: table, ids: lookup.ids, width: width)
        }
        multiplyInput(input.vectors, rows: rows, beta: 0, into: gates)
        let biases = summedBiases.workspace.reserve(width)
        for gate in 0..<width { biases[gate] = inputBias.value.pointer[gate] + hiddenBias.value.pointer[gate] }
        return .biases(biases)
    }

    /// Projecting a table of `tableRows` rows in place of `rows` input vectors costs at
    /// most a quarter of the product it saves (and holds at most a quarter of the window's
    /// gate pre-activations). An optimised path (``OptimisedPaths``).
    static func foldingPays(tableRows: Int, rows: Int) -> Bool {
        tableRows * 4 <= rows && OptimisedPaths.enabled
    }

    /// Where ``projectInput(_:rows:into:includeHiddenBias:)`` projects a lookup's table.
    private let projectedTable: Scratch
    /// `b_ih + b_hh` for ``projectInputLeavingTerms(_:rows:into:)``.
    private let summedBiases: Scratch
    /// Where ``stepBiasSums()`` sums a backward pass's `Σ dG`.
    private let biasGradientSums: Scratch
    /// The weight-gradient products of mixed-precision training.
    private let gradientProducts: GradientProducts

    /// While the weights have bfloat16 copies for training
    /// (``LanguageModel/copyWeightsToBFloat16()``), the product that computes their
    /// gradients in bfloat16 as well; nil otherwise.
    private var mixedPrecisionProduct: BFloat16GradientProduct? {
        hiddenWeight.bfloat16Transposed == nil ? nil : gradientProducts.product
    }
    /// Where a table gradient's gate gradients are summed by id, `[V, G]`.
    private let summedByID: Scratch

    private func projectInput(
        _ input: UnsafePointer<Float>, rows: Int, into gates: UnsafeMutablePointer<Float>, includeHiddenBias: Bool
    ) {
        RowOperations.fill(
            gates, rows: rows, columns: gateWidth, with: inputBias.value.pointer,
            plus: includeHiddenBias ? hiddenBias.value.pointer : nil)
        multiplyInput(input, rows: rows, beta: 1, into: gates)
    }

    /// `output [N, G] = input [N, In] · W_ihᵀ + beta · output`.
    private func multiplyInput(
        _ input: UnsafePointer<Float>, rows: Int, beta: Float, into output: UnsafeMutablePointer<Float>
    ) {
        guard packingInputPays(rows: rows), inputWeight.bfloat16 == nil else {
            inputWeight.multiplyTransposed(input, rows: rows, beta: beta, into: output)
            return
        }
        packedInput.pack(inputWeight.value.pointer, rows: inputSize, columns: gateWidth, transposed: true)
        packedInput.multiplyTall(input, rows: rows, beta: beta, into: output)
    }

    /// `inputGradient [N, In] = dG [N, G] · W_ih`.
    private func multiplyInputGradient(
        _ gateGradient: UnsafePointer<Float>, rows: Int, into inputGradient: UnsafeMutablePointer<Float>
    ) {
        guard packingInputPays(rows: rows), inputWeight.bfloat16Transposed == nil else {
            inputWeight.multiply(gateGradient, rows: rows, beta: 0, into: inputGradient)
            return
        }
        packedInput.pack(inputWeight.value.pointer, rows: gateWidth, columns: inputSize, transposed: false)
        packedInput.multiplyTall(gateGradient, rows: rows, beta: 0, into: inputGradient)
    }

    /// A window's product with `W_ih` packs the weight once for both threads and reads the
    /// window's rows in place, where OpenBLAS would copy the weight on each thread and the
    /// rows as well; worth it from a few strips of rows on, where the tall product runs.
    private func packingInputPays(rows: Int) -> Bool {
        rows >= 64 && packedInput.runsTallProducts && OptimisedPaths.enabled
    }

    /// `W_hhᵀ [H, G]` packed for the forward steps of the current window, or `W_hh [G, H]`
    /// for the backward steps (see ``PackedMatrix``): one copy, since a window's backward
    /// pass follows its forward pass. Stale when the window is too short or the batch too
    /// thin for packing to pay. Its storage may be shared with the other layers of a stack.
    let packedHidden: PackedMatrix
    /// `W_ihᵀ [In, G]` packed for a window's input product, or `W_ih [G, In]` for its input
    /// gradient (``packingInputPays(rows:)``), in the same storage: the input product runs
    /// before the forward steps pack `W_hh`, the input gradient after the backward steps.
    private let packedInput: PackedMatrix

    /// Packing copies the weight once; per step it saves OpenBLAS doing the same copy.
    /// With one row OpenBLAS runs a matrix-vector product, which copies nothing.
    private static func packingPays(windowLength: Int, batchSize: Int) -> Bool {
        windowLength >= 4 && batchSize >= 2 && OptimisedPaths.enabled
    }

    /// Prepares the recurrent products of a forward window (weights fixed until its end).
    func beginForward(windowLength: Int, batchSize: Int) {
        pack(transposed: true, windowLength: windowLength, batchSize: batchSize)
    }

    /// Prepares the recurrent products of the backward pass through that window.
    func beginBackward(windowLength: Int, batchSize: Int) {
        pack(transposed: false, windowLength: windowLength, batchSize: batchSize)
    }

    /// Packs `W_hhᵀ` (`transposed`) or `W_hh` when that pays; marks the copy stale otherwise.
    /// A weight with a bfloat16 copy runs its products there (packed once for good).
    private func pack(transposed: Bool, windowLength: Int, batchSize: Int) {
        guard Self.packingPays(windowLength: windowLength, batchSize: batchSize), hiddenWeight.bfloat16 == nil else {
            packedHidden.invalidate()
            return
        }
        let (rows, columns) = transposed ? (hiddenSize, gateWidth) : (gateWidth, hiddenSize)
        packedHidden.pack(hiddenWeight.value.pointer, rows: rows, columns: columns, transposed: transposed)
    }

    var hiddenSize: Int { hiddenWeight.shape[1] }

    /// `gates [B, G] = h [B, H] · W_hhᵀ + beta · gates`, on the bfloat16 copy of `W_hh` when
    /// the weight has one (a weight with a copy is never packed).
    func addRecurrent(_ hidden: UnsafePointer<Float>, batchSize: Int, into gates: UnsafeMutablePointer<Float>, beta: Float = 1) {
        if packedHidden.isPacked && packedHidden.isTransposed {
            packedHidden.multiply(hidden, rows: batchSize, beta: beta, into: gates)
            return
        }
        hiddenWeight.multiplyTransposed(hidden, rows: batchSize, beta: beta, into: gates)
    }

    /// `hiddenGradient [B, H] = dG [B, G] · W_hh + beta · hiddenGradient`, on the bfloat16
    /// copy of `W_hhᵀ` when the weight has one (training with `--bf16`).
    func recurrentGradient(
        _ gateGradient: UnsafePointer<Float>, batchSize: Int, beta: Float = 0,
        into hiddenGradient: UnsafeMutablePointer<Float>
    ) {
        if packedHidden.isPacked && !packedHidden.isTransposed {
            packedHidden.multiply(gateGradient, rows: batchSize, beta: beta, into: hiddenGradient)
            return
        }
        hiddenWeight.multiply(gateGradient, rows: batchSize, beta: beta, into: hiddenGradient)
    }

    /// Where a backward pass's steps sum the bias gradient (``finishBackwardStep(_:batchSize:hiddenGradient:biasSums:)``),
    /// zeroed: on the packed path of a cell whose biases share one gradient `Σ dG` (LSTM,
    /// RNN), where each step's column sums run beside its recurrent product, on `dG_t`
    /// while it is in cache, instead of over the window's `[T·B, G]` afterwards. Nil
    /// otherwise. Call after ``beginBackward(windowLength:batchSize:)``.
    func stepBiasSums() -> UnsafeMutablePointer<Float>? {
        guard packedHidden.isPacked && !packedHidden.isTransposed else { return nil }
        return biasGradientSums.workspace.reserveZeroed(gateWidth)
    }

    /// Step `t` of the backward pass, once its gate gradients `dG_t [B, G]` are known:
    /// `hiddenGradient [B, H] = dG_t · W_hh` when given (not for the window's first step,
    /// whose incoming state takes no gradient), and `biasSums += Σ_b dG_t[b]` when given
    /// (``stepBiasSums()``), each thread its tiles of the product and its columns of the sums.
    func finishBackwardStep(
        _ gateGradient: UnsafePointer<Float>, batchSize: Int, hiddenGradient: UnsafeMutablePointer<Float>?,
        biasSums: UnsafeMutablePointer<Float>?
    ) {
        guard let biasSums else {
            if let hiddenGradient { recurrentGradient(gateGradient, batchSize: batchSize, into: hiddenGradient) }
            return
        }
        let width = gateWidth
        let threads = batchSize * width < Self.splitThreshold ? 1 : packedHidden.threads(forRows: batchSize)
        ComputeThreads.forEach(parts: threads) { part in
            if let hiddenGradient {
                packedHidden.multiply(
                    gateGradient, rows: batchSize, beta: 0, into: hiddenGradient,
                    tiles: packedHidden.tiles(part, of: threads))
            }
            RowOperations.accumulateColumnSums(
                of: gateGradient, rows: batchSize, columns: width,
                in: ComputeThreads.alignedRange(part, of: threads, count: width), into: biasSums)
        }
    }

    /// Window-wide weight gradients: `dW_ih += dGᵀ X`, `dW_hh += dG_hᵀ H_prev`,
    /// `db_ih += Σ dG`, `db_hh += Σ dG_h`, and `dX = dG W_ih` when asked. `hiddenGateGradient`
    /// differs from `inputGateGradient` only for the GRU (its reset gate scales `W_hn h`).
    /// With `stepBiasSums` (``stepBiasSums()``), `Σ dG` was summed by the steps.
    ///
    /// For a ``InputGradient/table(_:)`` gradient the inputs are rows of the lookup's table,
    /// so the gate gradients are first summed by id into `S [V, G]`; then
    /// `dW_ih += Sᵀ table` and `dTable += S W_ih`: products over `V` rows instead of `T·B`.
    /// Under mixed precision (training copies of the weights) every product is in bfloat16.
    func accumulateWindowGradients(
        rows: Int, input: LayerInput, previousHidden: UnsafePointer<Float>,
        inputGateGradient: UnsafePointer<Float>, hiddenGateGradient: UnsafePointer<Float>,
        inputGradient: InputGradient?, stepBiasSums: UnsafePointer<Float>? = nil
    ) {
        let mixed = mixedPrecisionProduct
        if case .table(let tableGradient) = inputGradient {
            guard let lookup = input.lookup else { preconditionFailure("a table gradient needs the input's lookup") }
            precondition(lookup.ids.count == rows, "a lookup needs one id per input row")
            let sums = summedByID.workspace.reserveZeroed(lookup.rows * gateWidth)
            RowOperations.accumulateRows(
                of: inputGateGradient, rows: rows, columns: gateWidth, at: lookup.ids, into: sums)
            addWeightGradient(
                sums, rows: lookup.rows, columns: gateWidth, times: lookup.table, columns: inputSize,
                into: inputWeight.gradient.pointer, mixed: mixed)
            inputWeight.multiply(sums, rows: lookup.rows, beta: 1, into: tableGradient)
        } else {
            addWeightGradient(
                inputGateGradient, rows: rows, columns: gateWidth, times: input.vectors, columns: inputSize,
                into: inputWeight.gradient.pointer, mixed: mixed)
        }
        // Gate gradients packed for the input's product serve the hidden one's when they are the same.
        let packed: Bool
        if case .table = inputGradient { packed = false } else { packed = hiddenGateGradient == inputGateGradient }
        addWeightGradient(
            hiddenGateGradient, rows: rows, columns: gateWidth, times: previousHidden, columns: hiddenSize,
            into: hiddenWeight.gradient.pointer, mixed: mixed, dYPacked: packed)
        if let stepBiasSums {
            precondition(inputGateGradient == hiddenGateGradient, "step bias sums need one gate gradient")
            addBiasSums(stepBiasSums)
        } else if inputGateGradient == hiddenGateGradient {
            // Both biases get the same column sums: summed once, added twice.
            var sums = [Float](repeating: 0, count: gateWidth)
            RowOperations.accumulateColumnSums(of: inputGateGradient, rows: rows, columns: gateWidth, into: &sums)
            addBiasSums(sums)
        } else {
            RowOperations.accumulateColumnSums(
                of: inputGateGradient, rows: rows, columns: gateWidth, into: inputBias.gradient.pointer)
            RowOperations.accumulateColumnSums(
                of: hiddenGateGradient, rows: rows, columns: gateWidth, into: hiddenBias.gradient.pointer)
        }
        if case .vectors(let inputGradient) = inputGradient {
            multiplyInputGradient(inputGateGradient, rows: rows, into: inputGradient)
        }
    }

    /// `db_ih += sums`, `db_hh += sums`.
    private func addBiasSums(_ sums: UnsafePointer<Float>) {
        RowOperations.accumulateColumnSums(of: sums, rows: 1, columns: gateWidth, into: inputBias.gradient.pointer)
        RowOperations.accumulateColumnSums(of: sums, rows: 1, columns: gateWidth, into: hiddenBias.gradient.pointer)
    }
}

/// A workspace a ``GateWeights`` (a value) keeps between windows: a lookup table's
/// projections, or its gate gradients summed by id, `[V, G]`.
final class Scratch {
    var workspace = Workspace()
}

/// A ``GateWeights``' packed operands of weight-gradient products in bfloat16, made on first use.
final class GradientProducts {
    lazy var product = BFloat16GradientProduct()
}
