import Testing

@testable import LMTraining

@Suite struct LearningRateDecayTests {
    @Test func linearFallsToZeroAtTheEndAndNoneKeepsTheRate() {
        #expect(LearningRateDecay.linear.factor(progress: 0) == 1)
        #expect(LearningRateDecay.linear.factor(progress: 0.25) == 0.75)
        #expect(LearningRateDecay.linear.factor(progress: 1) == 0)
        #expect(LearningRateDecay.linear.factor(progress: 1.2) == 0)
        #expect([0, 0.5, 1.5].map { LearningRateDecay.none.factor(progress: $0) } == [1, 1, 1])
    }

    /// Progress is the larger of the share of all epochs' tokens and the share of the budget.
    @Test func progressIsTheEpochsShareOrTheBudgetsWhicheverIsFurther() {
        func progress(elapsed: Double, budgetEnd: Double?) -> Double {
            LearningRateDecay.progress(tokensSeen: 50, tokensPerEpoch: 100, epochs: 2, elapsedSeconds: elapsed, budgetEnd: budgetEnd)
        }
        #expect(progress(elapsed: 60, budgetEnd: nil) == 0.25)
        #expect(progress(elapsed: 10, budgetEnd: 100) == 0.25)
        #expect(progress(elapsed: 60, budgetEnd: 100) == 0.6)
    }
}
