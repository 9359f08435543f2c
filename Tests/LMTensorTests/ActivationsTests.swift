import Foundation
import Testing

@testable import LMTensor

/// The vectorised non-linearities against Foundation's scalar functions, over a grid that
/// covers the small-argument polynomial, the exponential branch and saturation.
/// Tolerance: 2e-6 relative plus 1e-7 absolute.
@Suite struct ActivationsTests {
    static let inputs: [Float] = stride(from: -30.0, through: 30.0, by: 0.0137).map(Float.init) + [0, -0, 1e-6, -1e-6, 88, -88, 200, -200]

    func check(_ vectorised: (UnsafeMutablePointer<Float>, Int) -> Void, _ reference: (Double) -> Double) {
        var values = Self.inputs
        values.withUnsafeMutableBufferPointer { vectorised($0.baseAddress!, $0.count) }
        for (input, output) in zip(Self.inputs, values) {
            let expected = reference(Double(input))
            #expect(abs(Double(output) - expected) <= 2e-6 * abs(expected) + 1e-7, "at \(input): \(output) vs \(expected)")
        }
    }

    @Test func sigmoid() { check(Activations.sigmoid) { 1 / (1 + Foundation.exp(-$0)) } }

    @Test func tanh() { check(Activations.tanh) { Foundation.tanh($0) } }

    @Test func relu() { check(Activations.relu) { max($0, 0) } }

    @Test func exp() {
        let inputs = stride(from: -80.0, through: 80.0, by: 0.173).map(Float.init)
        var values = inputs
        values.withUnsafeMutableBufferPointer { Activations.apply($0.baseAddress!, count: $0.count, Activations.exp) }
        for (input, output) in zip(inputs, values) {
            let expected = Foundation.exp(Double(input))
            #expect(abs(Double(output) - expected) <= 2e-6 * expected, "at \(input)")
        }
    }
}
