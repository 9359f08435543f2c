import Testing

@testable import LMTensor

@Suite struct RandomGeneratorTests {
    @Test func sameSeedSameStream() {
        var first = RandomGenerator(seed: 99)
        var second = RandomGenerator(seed: 99)
        let a = (0..<100).map { _ in first.next() }
        #expect(a == (0..<100).map { _ in second.next() })
        var other = RandomGenerator(seed: 100)
        #expect(a != (0..<100).map { _ in other.next() })
    }

    @Test func stateRestoresTheStreamExactly() {
        var generator = RandomGenerator(seed: 5)
        for _ in 0..<17 { _ = generator.next() }
        let saved = generator.state
        let continuation = (0..<50).map { _ in generator.nextUniform() }
        var restored = RandomGenerator(state: saved)
        #expect((0..<50).map { _ in restored.nextUniform() } == continuation)
    }

    @Test func uniformAndNormalHaveTheRightMoments() {
        var generator = RandomGenerator(seed: 1)
        let uniform = (0..<100_000).map { _ in Double(generator.nextUniform()) }
        #expect(uniform.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(uniform.reduce(0, +) / 1e5 - 0.5) < 0.01)
        let normal = (0..<100_000).map { _ in Double(generator.nextNormal()) }
        let mean = normal.reduce(0, +) / 1e5
        let variance = normal.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 1e5
        #expect(abs(mean) < 0.02 && abs(variance - 1) < 0.03)
    }
}
