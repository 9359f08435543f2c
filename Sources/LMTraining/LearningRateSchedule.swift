/// Learning-rate annealing on a validation plateau, as in the PyTorch word-language-model
/// example: when validation loss does not improve on the best so far, the rate is divided
/// by `annealFactor` (4 there). Early stopping ends training after `patience` validations
/// in a row without improvement (`nil`: never).
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public private(set) var learningRate: Float
    public private(set) var annealFactor: Float
    public private(set) var patience: Int?
    public private(set) var bestValidationLoss: Double?
    public private(set) var validationsWithoutImprovement = 0

    public init(learningRate: Float, annealFactor: Float = 4, patience: Int? = nil) {
        self.learningRate = learningRate
        self.annealFactor = annealFactor
        self.patience = patience
    }

    public enum Outcome: Equatable, Sendable {
        case improved
        case annealed(to: Float)
        /// No improvement, and a factor of 1: the rate stays.
        case unchanged
        case stop
    }

    /// Continues with other settings (a resumed run's flags): the rate, annealing factor
    /// or patience given replace the current ones, and the count of validations without
    /// improvement starts again, so a run that stopped early can go on.
    public mutating func resume(learningRate: Float?, annealFactor: Float?, patience: Int??) {
        if let learningRate { self.learningRate = learningRate }
        if let annealFactor { self.annealFactor = annealFactor }
        if let patience { self.patience = patience }
        validationsWithoutImprovement = 0
    }

    /// Records one validation loss and says what follows.
    public mutating func record(validationLoss: Double) -> Outcome {
        if let best = bestValidationLoss, validationLoss >= best {
            validationsWithoutImprovement += 1
            if let patience, validationsWithoutImprovement >= patience { return .stop }
            if annealFactor == 1 { return .unchanged }
            learningRate /= annealFactor
            return .annealed(to: learningRate)
        }
        bestValidationLoss = validationLoss
        validationsWithoutImprovement = 0
        return .improved
    }
}
