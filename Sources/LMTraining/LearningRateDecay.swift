/// How the learning rate falls over a run of known length, on top of annealing on a
/// validation plateau (``LearningRateSchedule``).
///
/// A run cut off by its epochs or its time budget while the rate is still high ends at
/// weights that a smaller step would have improved; decaying the rate to zero by the end
/// of the budget is the simplest schedule that uses the whole budget well (Li, Yumer &
/// Ramanan 2020, "Budgeted training: rethinking deep neural network training under
/// resource constraints", where linear decay beat step and cosine schedules at every budget).
public enum LearningRateDecay: String, Codable, CaseIterable, Sendable {
    /// The rate changes only by annealing.
    case none
    /// The rate falls linearly from its value to zero at the end of the run.
    case linear

    /// The factor on the rate when the fraction `progress` (0 at the start, 1 at the end)
    /// of the run is done.
    public func factor(progress: Double) -> Float {
        switch self {
        case .none: 1
        case .linear: Float(max(0, 1 - progress))
        }
    }

    /// How much of a run is done: the larger of its share of the tokens of all `epochs`
    /// and its share of the time budget.
    ///
    /// - Parameters:
    ///   - tokensSeen: tokens trained on since the run began (a resume's included).
    ///   - tokensPerEpoch: tokens of one epoch.
    ///   - elapsedSeconds: training time since the run began, a resume's included.
    ///   - budgetEnd: the time at which the budget ends, on the same clock as
    ///     `elapsedSeconds` (`nil`: no budget). A resume's budget is counted from the resume,
    ///     so a run extended by a new budget is a warm restart partway up the rate.
    public static func progress(
        tokensSeen: Int, tokensPerEpoch: Int, epochs: Int, elapsedSeconds: Double, budgetEnd: Double?
    ) -> Double {
        let byTokens = Double(tokensSeen) / Double(max(1, tokensPerEpoch * epochs))
        guard let budgetEnd else { return byTokens }
        return max(byTokens, elapsedSeconds / budgetEnd)
    }
}
