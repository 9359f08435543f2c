import LMNetwork
import LMTensor

/// Where training stands, enough to continue it exactly: with the weights, optimizer
/// state and carried hidden state in ``TrainingCheckpoint`` it makes a resumed run end
/// with the same weights as an uninterrupted one.
public struct TrainingPosition: Codable, Equatable, Sendable {
    /// Epoch in progress, from 1.
    public var epoch = 1
    /// Next window of that epoch to train on, from 0.
    public var nextWindow = 0
    public var schedule: LearningRateSchedule
    public var generatorState: RandomGenerator.State
    public var tokensSeen = 0
    public var windowsTrained = 0
    public var elapsedSeconds = 0.0
    /// Validation perplexity of the best weights so far.
    public var bestValidationPerplexity: Double?
    public var finished = false
    /// Every epoch's validation loss, in order (NT-ASGD's trigger reads them).
    public var validationLosses: [Double] = []

    public init(schedule: LearningRateSchedule, generatorState: RandomGenerator.State) {
        self.schedule = schedule
        self.generatorState = generatorState
    }

    /// Reads a position saved by any lmtool version (`validationLosses` came later).
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try values.decode(Int.self, forKey: .epoch)
        nextWindow = try values.decode(Int.self, forKey: .nextWindow)
        schedule = try values.decode(LearningRateSchedule.self, forKey: .schedule)
        generatorState = try values.decode(RandomGenerator.State.self, forKey: .generatorState)
        tokensSeen = try values.decode(Int.self, forKey: .tokensSeen)
        windowsTrained = try values.decode(Int.self, forKey: .windowsTrained)
        elapsedSeconds = try values.decode(Double.self, forKey: .elapsedSeconds)
        bestValidationPerplexity = try values.decodeIfPresent(Double.self, forKey: .bestValidationPerplexity)
        finished = try values.decode(Bool.self, forKey: .finished)
        validationLosses = try values.decodeIfPresent([Double].self, forKey: .validationLosses) ?? []
    }

    /// Epochs trained to their end.
    public var epochsCompleted: Int { epoch - 1 }

    /// Opens a run again for `--resume` with `epochs` epochs in all: a run that stopped
    /// early goes on, and a finished one goes on when `epochs` leaves some to train.
    /// Returns false when there is nothing left to train.
    public mutating func reopen(epochs: Int) -> Bool {
        guard epoch <= epochs else { return false }
        finished = false
        return true
    }
}

/// Everything a resumed run needs, as named tensors plus the position.
public struct TrainingCheckpoint {
    /// Model parameters by PyTorch name.
    public var parameters: [String: [Float]]
    public var optimizerState: [String: [Float]]
    /// The hidden state carried into ``TrainingPosition/nextWindow``, by state name.
    public var recurrentState: [String: [Float]]
    public var position: TrainingPosition

    public init(
        parameters: [String: [Float]], optimizerState: [String: [Float]],
        recurrentState: [String: [Float]], position: TrainingPosition
    ) {
        self.parameters = parameters
        self.optimizerState = optimizerState
        self.recurrentState = recurrentState
        self.position = position
    }
}
