import Foundation
import LMNetwork
import LMStore
import LMTensor
import Testing

/// One bidirectional layer against PyTorch's `bidirectional=True`: fixtures from
/// `scripts/pytorch/make_parity_fixtures.py` hold the weights (`_reverse` names for the
/// second direction), an input `x [T, B, In]`, an initial state `[2, B, H]`, PyTorch's
/// outputs `[T, B, 2H]` and final states, and the gradients of `Σ w ⊙ output`.
/// Tolerance as in ``PyTorchParityTests``: 1e-4 · ‖torch‖∞ per tensor.
@Suite struct BidirectionalParityTests {
    static let (steps, batch, inputSize, hiddenSize) = (5, 3, 6, 7)

    @Test(arguments: [CellKind.lstm, .gru])
    func outputsStatesAndGradientsMatchPyTorch(cell: CellKind) throws {
        let file = try SafeTensors(
            contentsOf: PyTorchParityTests.fixtures.appendingPathComponent("bidirectional-\(cell.rawValue).safetensors").path)
        func tensor(_ name: String) throws -> [Float] {
            try #require(file.tensors[name], "fixture lacks \(name)").values
        }
        let layer = BidirectionalLayer { suffix -> RecurrentLayer in
            if cell == .lstm {
                LSTMLayer(layer: 0, inputSize: Self.inputSize, hiddenSize: Self.hiddenSize, peephole: false, suffix: suffix)
            } else {
                GRULayer(layer: 0, inputSize: Self.inputSize, hiddenSize: Self.hiddenSize, suffix: suffix)
            }
        }
        #expect(layer.parameters.map(\.name).contains("rnn.weight_hh_l0_reverse"))
        for parameter in layer.parameters { parameter.value.assign(try tensor(parameter.name)) }

        // PyTorch's state is [direction, B, H]; lmtool's is the forward direction's tensors, then the reverse's.
        let stateNames = cell == .lstm ? ["h", "c"] : ["h"]
        let directionSize = Self.batch * Self.hiddenSize
        var initial: [Tensor] = []
        for direction in 0..<2 {
            for name in stateNames {
                let values = try tensor("input.\(name)0")
                initial.append(
                    Tensor(
                        shape: [Self.batch, Self.hiddenSize],
                        values: Array(values[(direction * directionSize)..<((direction + 1) * directionSize)])))
            }
        }
        let x = Tensor(shape: [Self.steps, Self.batch, Self.inputSize], values: try tensor("input.x"))
        let output = layer.forward(input: x.pointer, windowLength: Self.steps, batchSize: Self.batch, state: initial)
        let outputCount = Self.steps * Self.batch * 2 * Self.hiddenSize

        var problems: [String?] = [
            PyTorchParityTests.check("output", Array(UnsafeBufferPointer(start: output, count: outputCount)), try tensor("output.y"))
        ]
        for (index, name) in stateNames.enumerated() {
            let final = initial[index].values + initial[stateNames.count + index].values
            problems.append(PyTorchParityTests.check("final \(name)", final, try tensor("output.\(name)N")))
        }
        let inputGradient = Tensor(shape: [Self.steps, Self.batch, Self.inputSize])
        layer.backward(input: x.pointer, outputGradient: try tensor("input.w"), inputGradient: inputGradient.pointer)
        problems.append(PyTorchParityTests.check("grad x", inputGradient.values, try tensor("grad.x")))
        for parameter in layer.parameters {
            problems.append(
                PyTorchParityTests.check("grad \(parameter.name)", parameter.gradientValues, try tensor("grad.\(parameter.name)")))
        }
        let found = problems.compactMap { $0 }
        #expect(found.isEmpty, "bidirectional \(cell.rawValue): \(found)")
    }
}
