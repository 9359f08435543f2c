import LMNetwork
import LMTensor
import Testing

@testable import LMTraining

/// Optimizers on `f(w) = ½‖w − target‖²`, whose gradient is `w − target`.
@Suite struct OptimizerTests {
    static let target: [Float] = [1, -2, 0.5, 3]

    func minimise(_ kind: TrainingOptions.OptimizerKind, learningRate: Float, steps: Int, weightDecay: Float = 0) -> [Float] {
        let parameter = Parameter(name: "w", shape: [4])
        var optimizer = kind.make(for: [parameter], weightDecay: weightDecay)
        for _ in 0..<steps {
            for index in 0..<4 { parameter.gradient[index] = parameter.value[index] - Self.target[index] }
            optimizer.step([parameter], learningRate: learningRate)
        }
        return parameter.value.values
    }

    @Test(arguments: [(TrainingOptions.OptimizerKind.sgd, Float(0.1)), (.adam, 0.05), (.adamw, 0.05)])
    func convergesToTheMinimum(kind: TrainingOptions.OptimizerKind, learningRate: Float) {
        let result = minimise(kind, learningRate: learningRate, steps: 500)
        for (value, goal) in zip(result, Self.target) { #expect(abs(value - goal) < 1e-2, "\(kind)") }
    }

    @Test func sgdStepIsExact() {
        // One step from 0: w = lr · target.
        #expect(minimise(.sgd, learningRate: 0.5, steps: 1) == Self.target.map { 0.5 * $0 })
    }

    @Test func adamFirstStepIsTheLearningRateTimesTheGradientSign() {
        // m̂ = g, v̂ = g², so the first step is lr · g / (|g| + ε).
        let result = minimise(.adam, learningRate: 0.01, steps: 1)
        for (value, goal) in zip(result, Self.target) { #expect(abs(value - 0.01 * (goal > 0 ? 1 : -1)) < 1e-6) }
    }

    @Test func adamWDecaysWeightsDirectly() {
        let parameter = Parameter(name: "w", shape: [1])
        parameter.value[0] = 2
        var optimizer = TrainingOptions.OptimizerKind.adamw.make(for: [parameter], weightDecay: 0.1)
        optimizer.step([parameter], learningRate: 0.5)  // zero gradient: only the decay acts
        #expect(abs(parameter.value[0] - 2 * (1 - 0.5 * 0.1)) < 1e-6)
    }

    @Test func adamStateRoundTrips() throws {
        let parameter = Parameter(name: "w", shape: [4])
        var optimizer = TrainingOptions.OptimizerKind.adam.make(for: [parameter], weightDecay: 0)
        for index in 0..<4 { parameter.gradient[index] = Float(index) - 1 }
        optimizer.step([parameter], learningRate: 0.1)
        var restored = TrainingOptions.OptimizerKind.adam.make(for: [parameter], weightDecay: 0)
        try restored.restore(optimizer.state)
        #expect(restored.state == optimizer.state)
        #expect(throws: OptimizerStateError.self) { try restored.restore([:]) }
    }

    /// An embedding table's row-sparse gradient updates the weights exactly as the same
    /// gradient held densely, with and without weight decay, for every optimizer.
    @Test(arguments: [
        (TrainingOptions.OptimizerKind.sgd, Float(0)), (.sgd, 0.01), (.adam, 0), (.adam, 0.01), (.adamw, 0.01),
    ])
    func rowSparseGradientUpdatesAsTheDenseOne(kind: TrainingOptions.OptimizerKind, weightDecay: Float) {
        let (rows, width) = (6, 3)
        let dense = Parameter(name: "dense", shape: [rows, width])
        let sparse = Parameter(name: "sparse", shape: [rows, width], rowSparseGradient: true)
        var generator = RandomGenerator(seed: 3)
        for index in 0..<dense.value.count { dense.value[index] = generator.nextUniform(in: -1, 1) }
        let initial = dense.value.values
        sparse.value.assign(initial)
        var denseOptimizer = kind.make(for: [dense], weightDecay: weightDecay)
        var sparseOptimizer = kind.make(for: [sparse], weightDecay: weightDecay)
        for touched in [[1, 4], [4], [0, 5, 1]] {
            dense.zeroGradient()
            sparse.zeroGradient()
            for row in touched {
                let source = (0..<width).map { _ in generator.nextUniform(in: -1, 1) }
                for column in 0..<width { dense.gradient[row * width + column] += source[column] }
                source.withUnsafeBufferPointer { sparse.rowGradient!.add(row: row, $0.baseAddress!) }
            }
            denseOptimizer.step([dense], learningRate: 0.1)
            sparseOptimizer.step([sparse], learningRate: 0.1)
        }
        #expect(sparse.value.values == dense.value.values, "\(kind), decay \(weightDecay)")
        #expect(sparse.value.values != initial)
    }
}
