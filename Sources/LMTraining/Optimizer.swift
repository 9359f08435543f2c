import Foundation
import LMNetwork
import LMTensor

/// Updates parameters from their gradients. Optimizer state (moments, step count) is
/// exposed as named tensors so a checkpoint can store and restore it exactly.
public protocol Optimizer {
    /// Applies one update at `learningRate` to every parameter from its gradient times
    /// `gradientScale` (the factor that makes a sum of gradients their mean, and clipping's),
    /// applied as the gradient is read: the stored gradients are left as they are.
    mutating func step(_ parameters: [Parameter], learningRate: Float, gradientScale: Float)
    /// State to checkpoint, by name (`"<kind>.<moment>.<parameter name>"`).
    var state: [String: [Float]] { get }
    /// Restores what ``state`` returned; throws when names or sizes disagree.
    mutating func restore(_ state: [String: [Float]]) throws
}

extension Optimizer {
    /// Applies one update at `learningRate` from the gradients as they are.
    public mutating func step(_ parameters: [Parameter], learningRate: Float) {
        step(parameters, learningRate: learningRate, gradientScale: 1)
    }
}

extension TrainingOptions.OptimizerKind {
    /// A fresh optimizer of this kind for `parameters`.
    public func make(for parameters: [Parameter], weightDecay: Float) -> any Optimizer {
        switch self {
        case .sgd: StochasticGradientDescent(weightDecay: weightDecay)
        case .adam: Adam(parameters: parameters, weightDecay: weightDecay, decoupled: false)
        case .adamw: Adam(parameters: parameters, weightDecay: weightDecay, decoupled: true)
        case .ntASGD: AveragedStochasticGradientDescent(parameters: parameters, weightDecay: weightDecay)
        }
    }
}

public struct OptimizerStateError: Error, CustomStringConvertible {
    public let name: String
    public var description: String { "checkpoint optimizer state '\(name)' is missing or has the wrong size" }
}

/// Plain SGD, `w ← w − lr · (s g + λ w)` with `s` the gradient scale (L2 weight decay
/// folded into the gradient, as `torch.optim.SGD` does).
public struct StochasticGradientDescent: Optimizer {
    public let weightDecay: Float

    public init(weightDecay: Float = 0) { self.weightDecay = weightDecay }

    public mutating func step(_ parameters: [Parameter], learningRate: Float, gradientScale: Float) {
        for parameter in parameters {
            let values = parameter.value.pointer
            // Rows without gradient change only under weight decay.
            parameter.forEachGradientSegment(includingUntouchedRows: weightDecay != 0) { offset, count, gradient in
                let value = values + offset
                VectorOperations.forEachBlock(count: count) { range in
                    for index in range {
                        value[index] -= learningRate * (gradient[index] * gradientScale + weightDecay * value[index])
                    }
                }
            }
        }
    }

    public var state: [String: [Float]] { [:] }

    public mutating func restore(_ state: [String: [Float]]) throws {}
}

/// Adam (Kingma & Ba) with bias correction, β = (0.9, 0.999), ε = 1e-8. With `decoupled`
/// it is AdamW (Loshchilov & Hutter): the decay shrinks weights directly,
/// `w ← w − lr · λ w`, instead of entering the gradient; this matches `torch.optim.Adam`
/// and `torch.optim.AdamW`.
public struct Adam: Optimizer {
    public let weightDecay: Float
    public let decoupled: Bool
    public let beta1: Float = 0.9
    public let beta2: Float = 0.999
    public let epsilon: Float = 1e-8
    private var names: [String]
    private var firstMoments: [[Float]]
    private var secondMoments: [[Float]]
    private var steps: Int = 0

    public init(parameters: [Parameter], weightDecay: Float, decoupled: Bool) {
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        names = parameters.map(\.name)
        firstMoments = parameters.map { Array(repeating: 0, count: $0.value.count) }
        secondMoments = firstMoments
    }

    public mutating func step(_ parameters: [Parameter], learningRate: Float, gradientScale: Float) {
        steps += 1
        let correction1 = 1 - Float(pow(Double(beta1), Double(steps)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(steps)))
        let stepSize = learningRate / correction1
        let coupledDecay = decoupled ? 0 : weightDecay
        let shrink = decoupled ? 1 - learningRate * weightDecay : 1
        for (slot, parameter) in parameters.enumerated() {
            let values = parameter.value.pointer
            firstMoments[slot].withUnsafeMutableBufferPointer { firstMoment in
                secondMoments[slot].withUnsafeMutableBufferPointer { secondMoment in
                    // Every row moves, with or without gradient: the moments decay.
                    parameter.forEachGradientSegment(includingUntouchedRows: true) { offset, count, gradient in
                        let (value, m, v) = (values + offset, firstMoment.baseAddress! + offset, secondMoment.baseAddress! + offset)
                        VectorOperations.forEachBlock(count: count) { range in
                            for index in range {
                                let g = gradient[index] * gradientScale + coupledDecay * value[index]
                                m[index] = beta1 * m[index] + (1 - beta1) * g
                                v[index] = beta2 * v[index] + (1 - beta2) * g * g
                                let denominator = (v[index] / correction2).squareRoot() + epsilon
                                value[index] = value[index] * shrink - stepSize * m[index] / denominator
                            }
                        }
                    }
                }
            }
        }
    }

    public var state: [String: [Float]] {
        var state: [String: [Float]] = ["adam.steps": [Float(steps)]]
        for (slot, name) in names.enumerated() {
            state["adam.m.\(name)"] = firstMoments[slot]
            state["adam.v.\(name)"] = secondMoments[slot]
        }
        return state
    }

    public mutating func restore(_ state: [String: [Float]]) throws {
        guard let stored = state["adam.steps"]?.first else { throw OptimizerStateError(name: "adam.steps") }
        for (slot, name) in names.enumerated() {
            for (key, moments) in [("adam.m.\(name)", \Adam.firstMoments), ("adam.v.\(name)", \Adam.secondMoments)] {
                guard let values = state[key], values.count == self[keyPath: moments][slot].count else {
                    throw OptimizerStateError(name: key)
                }
                self[keyPath: moments][slot] = values
            }
        }
        steps = Int(stored)
    }
}
