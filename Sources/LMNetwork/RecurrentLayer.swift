import LMTensor

/// One recurrent layer run many-to-many over a window of `T` steps with batch `B`.
///
/// Every cell computes its gate pre-activations for all steps with ONE matrix product
/// (`X [T·B, In] · W_ihᵀ [In, G]`) before the time loop; per step only the recurrent
/// product `h_{t−1} W_hhᵀ` remains. Backward mirrors this: the time loop produces the
/// gate gradients `dG [T·B, G]`, then weight gradients are two products over the window
/// (`dW_ih += dGᵀ X`, `dW_hh += dGᵀ H_prev`) and the input gradient one (`dX = dG W_ih`).
/// The incoming state is a constant (truncated BPTT): no gradient flows into it.
package protocol RecurrentLayer: AnyObject {
    var inputSize: Int { get }
    /// Width of each step's output.
    var hiddenSize: Int { get }
    /// How many state tensors the layer carries (h; h and c for the LSTM), each
    /// `[B, stateWidth]`.
    var stateCount: Int { get }
    var stateWidth: Int { get }
    /// In PyTorch order (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`, then extensions).
    var parameters: [Parameter] { get }
    /// The recurrent weights `W_hh` `[G, H]`, one per direction: what weight drop masks.
    var recurrentWeights: [Parameter] { get }

    /// Runs the window.
    /// - Parameters:
    ///   - input: `[T, B, In]` vectors, which must stay unchanged until
    ///     ``backward(input:outputGradient:inputGradient:)``, and what they are rows of, if known.
    ///   - state: this layer's state tensors `[B, H]` (h, and c for the LSTM): read as
    ///     the initial state and overwritten with the final one.
    /// - Returns: the outputs `h_1 … h_T`, `[T, B, H]`, valid until the next forward.
    func forward(_ input: LayerInput, windowLength: Int, batchSize: Int, state: [Tensor])
        -> UnsafeMutablePointer<Float>

    /// Back-propagates through the last forward window: adds parameter gradients and,
    /// when `inputGradient` is given, the inputs' gradient there.
    /// - Parameters:
    ///   - input: the forward window's input; a ``InputGradient/table(_:)`` gradient needs its lookup.
    ///   - outputGradient: `[T, B, H]`, the loss gradient of the outputs.
    func backward(input: LayerInput, outputGradient: UnsafePointer<Float>, inputGradient: InputGradient?)
}

/// Where a layer's backward pass puts the gradient of its inputs.
package enum InputGradient {
    /// `dX [T, B, In]`, overwritten.
    case vectors(UnsafeMutablePointer<Float>)
    /// The gradient of the input's lookup table `[V, In]` (``TableLookup``), added to:
    /// every row gets the gradients of the inputs that copied it. Computed from the gate
    /// gradients summed by id, `S [V, G]`, as `S · W_ih` — `V` rows, not `T·B` (see
    /// ``GateWeights/accumulateWindowGradients(rows:input:previousHidden:inputGateGradient:hiddenGateGradient:inputGradient:)``).
    case table(UnsafeMutablePointer<Float>)
}

/// A window's inputs `[T, B, In]` as a layer reads them.
package struct LayerInput {
    package let vectors: UnsafePointer<Float>
    /// Set when every input vector is a row of a table, as embedded tokens are.
    package let lookup: TableLookup?

    package init(vectors: UnsafePointer<Float>, lookup: TableLookup? = nil) {
        self.vectors = vectors
        self.lookup = lookup
    }
}

/// `vectors[r] = table[ids[r]]`: the input vectors are rows of `table` `[V, In]`.
///
/// A layer may then project the table's `V` rows once and copy each input's projection by
/// its id, instead of projecting `T·B` vectors (``GateWeights/projectInput(_:rows:into:includeHiddenBias:)``),
/// or have its cell add the projection by id as it reads each row
/// (``GateWeights/projectInputLeavingTerms(_:rows:into:)``, the LSTM): an embedding and
/// the first layer's input transform folded into one lookup.
package struct TableLookup {
    package let table: UnsafePointer<Float>
    /// `V`.
    package let rows: Int
    /// `[T·B]`, each in `0..<V`.
    package let ids: [Int32]

    package init(table: UnsafePointer<Float>, rows: Int, ids: [Int32]) {
        self.table = table
        self.rows = rows
        self.ids = ids
    }
}

extension RecurrentLayer {
    /// Runs the window on `input` `[T, B, In]` (see ``forward(_:windowLength:batchSize:state:)``).
    package func forward(input: UnsafePointer<Float>, windowLength: Int, batchSize: Int, state: [Tensor])
        -> UnsafeMutablePointer<Float>
    {
        forward(LayerInput(vectors: input), windowLength: windowLength, batchSize: batchSize, state: state)
    }

    /// Back-propagates the window run on `input` `[T, B, In]`, writing `dX` into
    /// `inputGradient` when given (see ``backward(input:outputGradient:inputGradient:)-(LayerInput,_,_)``).
    package func backward(
        input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?
    ) {
        backward(
            input: LayerInput(vectors: input), outputGradient: outputGradient,
            inputGradient: inputGradient.map { .vectors($0) })
    }

    package var stateCount: Int { 1 }
    package var stateWidth: Int { hiddenSize }

    /// PyTorch's default initialisation: every weight and bias uniform in (−k, k), k = 1/√H.
    func initializeUniformly(generator: inout RandomGenerator) {
        let bound = 1 / Float(hiddenSize).squareRoot()
        for parameter in parameters { parameter.initializeUniform(-bound, bound, generator: &generator) }
    }
}
