import LMNetwork
import Testing

@testable import LMTraining

@Suite struct GradientClippingTests {
    @Test func clippingScalesByTheGlobalNorm() {
        let first = Parameter(name: "a", shape: [2])
        let second = Parameter(name: "b", shape: [1])
        first.gradient.assign([3, 0])
        second.gradient.assign([4])
        #expect(clipGradientNorm([first, second], maxNorm: 10) == 5)
        #expect(first.gradient.values == [3, 0] && second.gradient.values == [4])
        #expect(clipGradientNorm([first, second], maxNorm: 1) == 5)
        #expect(abs(first.gradient[0] - 0.6) < 1e-7 && abs(second.gradient[0] - 0.8) < 1e-7)
    }
}
