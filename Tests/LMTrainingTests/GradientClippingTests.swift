import LMNetwork
import Testing

@testable import LMTraining

@Suite struct GradientClippingTests {
    @Test func theNormIsTheGlobalL2NormOfTheScaledGradients() {
        let first = Parameter(name: "a", shape: [2])
        let second = Parameter(name: "b", shape: [1])
        first.gradient.assign([3, 0])
        second.gradient.assign([4])
        #expect(gradientNorm([first, second]) == 5)
        #expect(gradientNorm([first, second], scale: 0.5) == 2.5)
        #expect(first.gradient.values == [3, 0] && second.gradient.values == [4], "the gradients are left as they are")
    }

    @Test func clippingScalesOnlyNormsAtOrAboveTheLimit() {
        #expect(clippingFactor(norm: 5, maxNorm: 10) == 1)
        #expect(clippingFactor(norm: 5, maxNorm: 1) == 0.2)
        #expect(clippingFactor(norm: 4, maxNorm: 4) == 1)
        #expect(clippingFactor(norm: .infinity, maxNorm: 1) == 1)
        #expect(clippingFactor(norm: .nan, maxNorm: 1) == 1)
        #expect(clippingFactor(norm: 0, maxNorm: 0) == 1)
    }

    /// The update reads `scale · clippingFactor · g` for `g`: what scaling the gradients in
    /// place by both and then stepping gives, without the passes.
    @Test func theUpdateAppliesTheScaleAndTheClippingAsItReadsTheGradients() {
        let folded = Parameter(name: "w", shape: [3])
        let scaledFirst = Parameter(name: "w", shape: [3])
        for parameter in [folded, scaledFirst] {
            parameter.value.assign([1, 2, 3])
            parameter.gradient.assign([6, -8, 0])
        }
        let norm = gradientNorm([folded], scale: 0.5)  // 5
        var sgd = StochasticGradientDescent()
        sgd.step([folded], learningRate: 0.1, gradientScale: 0.5 * clippingFactor(norm: norm, maxNorm: 1))
        scaledFirst.gradient.assign([0.6, -0.8, 0])  // 0.5 · g, clipped to norm 1
        sgd.step([scaledFirst], learningRate: 0.1)
        #expect(folded.value.values == scaledFirst.value.values)
        #expect(folded.gradient.values == [6, -8, 0])
    }
}
