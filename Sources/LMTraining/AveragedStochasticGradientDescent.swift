import LMNetwork
import LMTensor

/// Non-monotonically triggered averaged SGD, NT-ASGD (Merity, Keskar & Socher 2017, after
/// Polyak & Juditsky 1992): plain SGD until validation stops improving, then SGD that also
/// keeps the running mean of the weights after every update from the switch on,
/// `w̄ ← w̄ + (w − w̄) / n`. Validation, the saved model and the test score use `w̄`; the
/// updates keep running on `w`. The ``Trainer`` decides when to switch
/// (``shouldStartAveraging(validationLosses:interval:)``).
public final class AveragedStochasticGradientDescent: Optimizer {
    private var sgd: StochasticGradientDescent
    private let names: [String]
    private let counts: [Int]
    /// `w̄` per parameter, in ``names`` order; empty until averaging starts.
    private var averages: [[Float]] = []
    /// Updates averaged so far.
    public private(set) var averagedSteps = 0

    public init(parameters: [Parameter], weightDecay: Float) {
        sgd = StochasticGradientDescent(weightDecay: weightDecay)
        names = parameters.map(\.name)
        counts = parameters.map(\.value.count)
    }

    public var isAveraging: Bool { !averages.isEmpty }

    /// The trigger: the newest of `validationLosses` is worse than the best of those more
    /// than `interval` validations before it (AWD-LSTM's `nonmono` test).
    public static func shouldStartAveraging(validationLosses: [Double], interval: Int) -> Bool {
        guard let latest = validationLosses.last, validationLosses.count > interval + 1 else { return false }
        return latest > validationLosses.dropLast(interval + 1).min()!
    }

    /// Starts averaging from the next update on.
    public func startAveraging(_ parameters: [Parameter]) {
        guard !isAveraging else { return }
        averages = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        averagedSteps = 0
    }

    public func step(_ parameters: [Parameter], learningRate: Float, gradientScale: Float) {
        sgd.step(parameters, learningRate: learningRate, gradientScale: gradientScale)
        guard isAveraging else { return }
        averagedSteps += 1
        let weight = 1 / Float(averagedSteps)
        for (slot, parameter) in parameters.enumerated() {
            let values = parameter.value.pointer
            averages[slot].withUnsafeMutableBufferPointer { average in
                VectorOperations.forEachBlock(count: average.count) { range in
                    for index in range { average[index] += (values[index] - average[index]) * weight }
                }
            }
        }
    }

    /// Runs `body` with the averaged weights in the parameters (when averaging has begun
    /// and seen an update), then puts the trained weights back.
    public func withAveragedWeights<Result>(_ parameters: [Parameter], _ body: () throws -> Result) rethrows -> Result {
        guard isAveraging && averagedSteps > 0 else { return try body() }
        swapAverages(parameters)
        defer { swapAverages(parameters) }
        return try body()
    }

    private func swapAverages(_ parameters: [Parameter]) {
        for (slot, parameter) in parameters.enumerated() {
            let values = parameter.value.pointer
            averages[slot].withUnsafeMutableBufferPointer { average in
                for index in 0..<average.count { swap(&values[index], &average[index]) }
            }
        }
    }

    public var state: [String: [Float]] {
        guard isAveraging else { return [:] }
        var state = ["asgd.steps": [Float(averagedSteps)]]
        for (slot, name) in names.enumerated() { state["asgd.average.\(name)"] = averages[slot] }
        return state
    }

    public func restore(_ state: [String: [Float]]) throws {
        guard let steps = state["asgd.steps"]?.first else {
            averages = []
            return
        }
        averages = try zip(names, counts).map { name, count in
            guard let values = state["asgd.average.\(name)"], values.count == count else {
                throw OptimizerStateError(name: "asgd.average.\(name)")
            }
            return values
        }
        averagedSteps = Int(steps)
    }
}
