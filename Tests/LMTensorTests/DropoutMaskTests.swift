import CElementwiseKernels
import Testing

@testable import LMTensor

/// Dropout's counter-based masks (`vector_dropout_mask`, ``DropoutMask``): every element's
/// decision is the SplitMix64 draw of its index, on every instruction set and however a
/// mask is split; the drop rate is the probability.
@Suite struct DropoutMaskTests {
    /// Element `index`'s decision, scalar: SplitMix64's output for counter `key + (index + 1)·γ`.
    static func reference(key: UInt64, index: Int, probability: Float) -> UInt8 {
        var z = key &+ UInt64(index + 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) * 0x1p-24 < probability ? 0 : 1
    }

    @Test(arguments: PackedMatrix.InstructionSet.supported)
    func everyInstructionSetAndSplitGivesTheScalarDraws(instructionSet: PackedMatrix.InstructionSet) {
        let (count, key, probability): (Int, UInt64, Float) = (1000, 0xDEAD_BEEF_1234_5678, 0.3)
        let expected = (0..<count).map { Self.reference(key: key, index: $0, probability: probability) }
        let threshold = UInt32((probability * 0x1p24).rounded(.up))
        for cut in [0, 1, 17, 500, 999] {
            var mask = [UInt8](repeating: 7, count: count)
            mask.withUnsafeMutableBufferPointer { mask in
                vector_dropout_mask(instructionSet.cValue, mask.baseAddress!, 0, cut, key, threshold)
                vector_dropout_mask(instructionSet.cValue, mask.baseAddress! + cut, cut, count - cut, key, threshold)
            }
            #expect(mask == expected, "\(instructionSet), cut at \(cut)")
        }
    }

    /// A mask filled by ``DropoutMask`` (split between threads) holds the scalar draws;
    /// the drop rate of 2²⁰ draws is within five standard deviations of p, and p = 0 and
    /// p = 1 keep and drop all.
    @Test(arguments: [Float(0), 0.2, 0.5, 1])
    func theDropRateIsTheProbability(probability: Float) {
        let count = 1 << 20
        var mask = [UInt8](repeating: 7, count: count)
        mask.withUnsafeMutableBufferPointer {
            DropoutMask.fill($0.baseAddress!, count: count, probability: probability, key: 42)
        }
        for index in stride(from: 0, to: count, by: 997) {
            #expect(mask[index] == Self.reference(key: 42, index: index, probability: probability), "element \(index)")
        }
        let dropped = Double(mask.count { $0 == 0 }) / Double(count)
        let deviation = (Double(probability) * (1 - Double(probability)) / Double(count)).squareRoot()
        #expect(abs(dropped - Double(probability)) <= 5 * deviation + 1e-12, "dropped \(dropped) for p = \(probability)")
        #expect(mask.allSatisfy { $0 <= 1 })
    }
}
