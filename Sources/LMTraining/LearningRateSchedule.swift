/// Learning-rate annealing on a validation plateau, as in the PyTorch word-language-model
/// example: when validation loss does not improve on the best so far, the rate is divided
/// by `annealFactor` (4 there). Early stopping ends training after `patience` validations
/// in a row without improvement (`nil`: never).
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public private(set) var learningRate: Float
    public let annealFactor: Float
    public let patience: Int?
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
        case stop
    }

    /// Records one validation loss and says what follows.
    public mutating func record(validationLoss: Double) -> Outcome {
        if let best = bestValidationLoss, validationLoss >= best {
            validationsWithoutImprovement += 1
            if let patience, validationsWithoutImprovement >= patience { return .stop }
            learningRate /= annealFactor
            return .annealed(to: learningRate)
        }
        bestValidationLoss = validationLoss
        validationsWithoutImprovement = 0
        return .improved
    }
}
