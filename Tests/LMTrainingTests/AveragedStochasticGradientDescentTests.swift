import Foundation
import LMNetwork
import LMTensor
import Testing

@testable import LMTraining

/// NT-ASGD: the non-monotone trigger, the running mean of the weights after the switch,
/// validation on the mean, and a checkpoint that carries it.
@Suite struct AveragedStochasticGradientDescentTests {
    @Test func theTriggerIsAWDLSTMsNonMonotoneTest() {
        let trigger = AveragedStochasticGradientDescent.shouldStartAveraging
        // Worse than the best of those more than 2 validations back.
        #expect(trigger([5, 4, 3, 3.5], 2) == false)  // only one validation lies more than 2 back
        #expect(trigger([5, 4, 3, 3.2, 4.5], 2) == true)  // 4.5 > min(5, 4)
        #expect(trigger([5, 4, 3, 3.2, 3.9], 2) == false)  // 3.9 < 4
        #expect(trigger([5, 4, 3, 2.5, 2.4, 2.9], 2) == false)  // 2.9 < min(5, 4, 3)
        #expect(trigger([], 1) == false)
    }

    static func parameter(_ values: [Float]) -> Parameter {
        let parameter = Parameter(name: "w", shape: [values.count])
        parameter.value.assign(values)
        return parameter
    }

    @Test func theAverageIsTheMeanOfTheWeightsAfterEachUpdateSinceTheSwitch() throws {
        let weight = Self.parameter([1, 2])
        let optimizer = AveragedStochasticGradientDescent(parameters: [weight], weightDecay: 0)
        weight.gradient.assign([1, -1])
        optimizer.step([weight], learningRate: 1, gradientScale: 1)  // before the switch: not averaged
        #expect(weight.value.values == [0, 3])
        optimizer.startAveraging([weight])
        var iterates: [[Float]] = []
        for gradient: [Float] in [[1, 1], [0.5, -2], [-1, 0]] {
            weight.gradient.assign(gradient)
            optimizer.step([weight], learningRate: 1, gradientScale: 1)
            iterates.append(weight.value.values)
        }
        let mean = (0..<2).map { index in iterates.map { $0[index] }.reduce(0, +) / 3 }
        let trained = weight.value.values
        let averaged = optimizer.withAveragedWeights([weight]) { weight.value.values }
        #expect(zip(averaged, mean).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(weight.value.values == trained, "the trained weights come back after validation")

        // A checkpoint carries the average; a wrong size is refused by name.
        let restored = AveragedStochasticGradientDescent(parameters: [weight], weightDecay: 0)
        try restored.restore(optimizer.state)
        #expect(restored.isAveraging && restored.averagedSteps == 3)
        #expect(restored.withAveragedWeights([weight]) { weight.value.values } == averaged)
        var damaged = optimizer.state
        damaged["asgd.average.w"] = [1]
        #expect(throws: OptimizerStateError.self) { try restored.restore(damaged) }
        try restored.restore([:])
        #expect(!restored.isAveraging)
    }
}
