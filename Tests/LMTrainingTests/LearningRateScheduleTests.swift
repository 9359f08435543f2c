import Testing

@testable import LMTraining

@Suite struct LearningRateScheduleTests {
    @Test func annealsByTheFactorWhenValidationStopsImproving() {
        var schedule = LearningRateSchedule(learningRate: 20, annealFactor: 4)
        #expect(schedule.record(validationLoss: 5.0) == .improved)
        #expect(schedule.record(validationLoss: 4.5) == .improved)
        #expect(schedule.record(validationLoss: 4.6) == .annealed(to: 5))
        #expect(schedule.record(validationLoss: 4.5) == .annealed(to: 1.25))
        #expect(schedule.record(validationLoss: 4.4) == .improved)
        #expect(schedule.learningRate == 1.25)
        #expect(schedule.bestValidationLoss == 4.4)
    }

    @Test func aFactorOfOneKeepsTheRate() {
        var schedule = LearningRateSchedule(learningRate: 30, annealFactor: 1)
        #expect(schedule.record(validationLoss: 3) == .improved)
        #expect(schedule.record(validationLoss: 3.5) == .unchanged)
        #expect(schedule.learningRate == 30)
    }

    @Test func stopsAfterPatienceValidationsWithoutImprovement() {
        var schedule = LearningRateSchedule(learningRate: 1, annealFactor: 2, patience: 2)
        #expect(schedule.record(validationLoss: 3) == .improved)
        #expect(schedule.record(validationLoss: 3) == .annealed(to: 0.5))
        #expect(schedule.record(validationLoss: 3.1) == .stop)
    }
}
