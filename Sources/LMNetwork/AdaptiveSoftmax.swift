import LMTensor

/// The adaptive softmax of Grave, Joulin, Cissé, Grangier & Jégou 2017 ("Efficient softmax
/// approximation for GPUs"), as `torch.nn.AdaptiveLogSoftmaxWithLoss` defines it with
/// `div_value` 4 and no head bias. Cutoffs `c₀ < c₁ < … < c_{k−1}` (and `c_k = V`) cut the
/// ids into a head, `[0, c₀)`, and `k` tail clusters, `[cᵢ, cᵢ₊₁)`. The head is a softmax
/// over its `c₀` tokens and one entry per cluster; cluster `i` projects the hidden state
/// down to `wᵢ = H / 4^(i+1)` units and takes a softmax over its own tokens:
///
///     log p(t) = log softmax(h W_headᵀ)[t]                                        t < c₀
///     log p(t) = log softmax(h W_headᵀ)[c₀ + i] + log softmax(h Pᵢᵀ Oᵢᵀ)[t − cᵢ]    cᵢ ≤ t < cᵢ₊₁
///
/// The probabilities are exact and sum to 1 over the V tokens. A row's loss needs the head
/// and its target's cluster only: training and evaluation run each tail on the rows whose
/// targets fall in it, gathered, so the frequent words (ids are by frequency) cost the
/// `[N, c₀ + k]` head logits where the full softmax costs `[N, V]`. The head is a
/// ``Decoder`` without bias, with its chunks, bfloat16 products and evaluation path; a
/// cluster's rows are taken in chunks too, so the logits held at once stay bounded.
final class AdaptiveSoftmax {
    /// One tail cluster: `h [H] → h Pᵀ [w] → (h Pᵀ) Oᵀ [count]` logits over its ids.
    struct Cluster {
        /// The ids it holds, `[cᵢ, cᵢ₊₁)`.
        let ids: Range<Int>
        /// `P [w, H]`, PyTorch `decoder.tail.i.0.weight`.
        let projection: Parameter
        /// `O [cᵢ₊₁ − cᵢ, w]`, `decoder.tail.i.1.weight`.
        let output: Parameter

        var width: Int { projection.shape[0] }
    }

    /// `[c₀ + k, H]`: the head's tokens, then one row per cluster; `decoder.head.weight`.
    let head: Parameter
    /// The head's softmax: a decoder of `c₀ + k` entries without bias.
    private let headDecoder: Decoder
    let clusters: [Cluster]
    /// In PyTorch's `named_parameters()` order: the head, then each cluster's two weights.
    let parameters: [Parameter]
    /// Logits held at once, as ``Decoder/chunkElements`` (the head's too).
    var chunkElements = 1 << 21 {
        didSet { headDecoder.chunkElements = chunkElements }
    }

    /// How many of a cluster's rows are taken at once.
    func chunkRows(of cluster: Cluster) -> Int { max(64, chunkElements / cluster.ids.count) }

    // Workspaces, sized by the largest chunk seen.
    /// `[rows, c₀ + k]` the head's log-probabilities (``logits(_:rows:into:)``).
    private var headLogits = Workspace()
    /// `[m, H]` the hidden states of a cluster's rows; then their gradient.
    private var gathered = Workspace()
    /// `[m, w]` the projected states; `[m, w]` their gradient.
    private var projected = Workspace()
    private var projectedGradient = Workspace()
    /// `[m, count]` a cluster's logits, turned into their gradient in place.
    private var tailLogits = Workspace()
    /// The rows by where their targets fall: the head's entry, and per cluster the rows
    /// and targets (in the cluster).
    private var headTargets: [Int32] = []
    private var clusterRows: [[Int32]]
    private var clusterTargets: [[Int32]]
    /// `dW += dYᵀ X` in bfloat16 while the tails' weights have training copies.
    private lazy var gradientProduct = BFloat16GradientProduct()

    var headSize: Int { head.shape[0] }
    var inputSize: Int { head.shape[1] }
    var vocabularySize: Int { clusters.last?.ids.upperBound ?? headSize }
    /// The ids the head holds itself, `[0, c₀)`.
    var shortlistSize: Int { headSize - clusters.count }

    /// Zero weights named `prefix.head.weight`, `prefix.tail.i.0.weight`, `prefix.tail.i.1.weight`.
    /// - Parameter tailWidths: each cluster's projection width (``ModelConfiguration/tailWidths``).
    /// - Parameter packing: where the head's evaluation packs the hidden states (``Decoder``).
    init(
        inputSize: Int, vocabularySize: Int, cutoffs: [Int], tailWidths: [Int], prefix: String = "decoder",
        packing: PackedMatrix.Storage = .init()
    ) {
        precondition(!cutoffs.isEmpty && cutoffs.count == tailWidths.count, "one width per cutoff")
        head = Parameter(name: "\(prefix).head.weight", shape: [cutoffs[0] + cutoffs.count, inputSize])
        headDecoder = Decoder(weight: head, bias: nil, packing: packing)
        let ends = cutoffs.dropFirst() + [vocabularySize]
        clusters = zip(cutoffs, ends).enumerated().map { index, bounds in
            Cluster(
                ids: bounds.0..<bounds.1,
                projection: Parameter(name: "\(prefix).tail.\(index).0.weight", shape: [tailWidths[index], inputSize]),
                output: Parameter(name: "\(prefix).tail.\(index).1.weight", shape: [bounds.1 - bounds.0, tailWidths[index]]))
        }
        parameters = [head] + clusters.flatMap { [$0.projection, $0.output] }
        clusterRows = Array(repeating: [], count: cutoffs.count)
        clusterTargets = Array(repeating: [], count: cutoffs.count)
    }

    /// Sum over rows of `−log p(target)`, in Float64; with `hiddenGradient`, adds the
    /// gradients of the loss times `gradientScale` into the weights and writes `dH [N, H]`:
    /// the head over every row (writing `dH`), then each cluster over the rows whose
    /// targets it holds (adding into their `dH`).
    func loss(
        hidden: UnsafePointer<Float>, targets: [Int32], hiddenGradient: UnsafeMutablePointer<Float>?,
        gradientScale: Float = 1
    ) -> Double {
        sortTargets(targets)
        var total = headDecoder.loss(
            hidden: hidden, targets: headTargets, hiddenGradient: hiddenGradient, gradientScale: gradientScale)
        for (index, cluster) in clusters.enumerated() {
            let (rows, chunkRows) = (clusterRows[index], chunkRows(of: cluster))
            var start = 0
            while start < rows.count {
                let end = min(start + chunkRows, rows.count)
                total += tailLoss(
                    cluster, rows: Array(rows[start..<end]), targets: clusterTargets[index][start..<end], hidden: hidden,
                    hiddenGradient: hiddenGradient, gradientScale: hiddenGradient == nil ? nil : gradientScale)
                start = end
            }
        }
        return total
    }

    /// Fills ``headTargets``, ``clusterRows`` and ``clusterTargets``.
    private func sortTargets(_ targets: [Int32]) {
        headTargets.removeAll(keepingCapacity: true)
        for index in clusters.indices {
            clusterRows[index].removeAll(keepingCapacity: true)
            clusterTargets[index].removeAll(keepingCapacity: true)
        }
        for (row, target) in targets.enumerated() {
            let id = Int(target)
            guard let index = clusters.firstIndex(where: { $0.ids.contains(id) }) else {
                headTargets.append(target)
                continue
            }
            headTargets.append(Int32(shortlistSize + index))
            clusterRows[index].append(Int32(row))
            clusterTargets[index].append(Int32(id - clusters[index].ids.lowerBound))
        }
    }

    /// The loss of one cluster's softmax over `rows` (targets local to the cluster); with
    /// `hiddenGradient`, back-propagates through `O` and `P` and adds `dH` into those rows.
    private func tailLoss(
        _ cluster: Cluster, rows: [Int32], targets: ArraySlice<Int32>, hidden: UnsafePointer<Float>,
        hiddenGradient: UnsafeMutablePointer<Float>?, gradientScale: Float?
    ) -> Double {
        let (count, width, size) = (rows.count, inputSize, cluster.ids.count)
        let gathered = gathered.reserve(count * width)
        for (index, row) in rows.enumerated() {
            (gathered + index * width).update(from: hidden + Int(row) * width, count: width)
        }
        let projected = projected.reserve(count * cluster.width)
        cluster.projection.multiplyTransposed(gathered, rows: count, beta: 0, into: projected)
        let logits = tailLogits.reserve(count * size)
        cluster.output.multiplyTransposed(projected, rows: count, beta: 0, into: logits)
        let loss = Decoder.crossEntropy(logits, rows: count, columns: size, targets: targets, gradientScale: gradientScale)
        guard let hiddenGradient else { return loss }
        addWeightGradient(
            logits, rows: count, columns: size, times: projected, columns: cluster.width,
            into: cluster.output.gradient.pointer, mixed: mixedProduct(for: cluster.output))
        let projectedGradient = projectedGradient.reserve(count * cluster.width)
        cluster.output.multiply(logits, rows: count, beta: 0, into: projectedGradient)
        addWeightGradient(
            projectedGradient, rows: count, columns: cluster.width, times: gathered, columns: width,
            into: cluster.projection.gradient.pointer, mixed: mixedProduct(for: cluster.projection))
        // The gathered states are spent: their buffer takes their gradient.
        cluster.projection.multiply(projectedGradient, rows: count, beta: 0, into: gathered)
        RowOperations.accumulateRows(of: gathered, rows: count, columns: width, at: rows, into: hiddenGradient)
        return loss
    }

    private func mixedProduct(for weight: Parameter) -> BFloat16GradientProduct? {
        weight.bfloat16Transposed == nil ? nil : gradientProduct
    }

    /// Log-probabilities `[rows, V]` of every token: the head's log-softmax, and each
    /// cluster's log-softmax plus the head's log-probability of the cluster.
    func logits(_ hidden: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        let (size, vocabulary) = (headSize, vocabularySize)
        let headLogits = headLogits.reserve(rows * size)
        headDecoder.logits(hidden, rows: rows, into: headLogits)
        for row in 0..<rows {
            let values = headLogits + row * size
            Self.logSoftmax(values, count: size, plus: 0)
            (output + row * vocabulary).update(from: values, count: shortlistSize)
        }
        for (index, cluster) in clusters.enumerated() {
            let projected = projected.reserve(rows * cluster.width)
            cluster.projection.multiplyTransposed(hidden, rows: rows, beta: 0, into: projected)
            let count = cluster.ids.count
            let logits = tailLogits.reserve(rows * count)
            cluster.output.multiplyTransposed(projected, rows: rows, beta: 0, into: logits)
            for row in 0..<rows {
                let values = logits + row * count
                Self.logSoftmax(values, count: count, plus: headLogits[row * size + shortlistSize + index])
                (output + row * vocabulary + cluster.ids.lowerBound).update(from: values, count: count)
            }
        }
    }

    /// `values ← log softmax(values) + offset`, in place.
    private static func logSoftmax(_ values: UnsafeMutablePointer<Float>, count: Int, plus offset: Float) {
        let logSum = Float(Softmax.logSumExp(UnsafeBufferPointer(start: values, count: count)))
        for index in 0..<count { values[index] = values[index] - logSum + offset }
    }
}

extension AdaptiveSoftmax: OutputLayer {
    var productWeights: [Parameter] { parameters }

    /// Every weight uniform in ±1/√(its input width): `torch.nn.Linear`'s default, which
    /// `AdaptiveLogSoftmaxWithLoss` keeps.
    func initializeUniformly(generator: inout RandomGenerator) {
        for parameter in parameters {
            let bound = 1 / Float(parameter.shape[1]).squareRoot()
            parameter.initializeUniform(-bound, bound, generator: &generator)
        }
    }
}
