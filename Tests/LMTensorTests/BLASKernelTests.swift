import Testing

@testable import LMTensor

@Suite struct BLASKernelTests {
    static let emeraldRapids = CPUFeatures(
        vendor: .intel, family: 6, model: 207, avx2: true, fma: true, avx512: true, avx512bf16: true)
    static let zen5 = CPUFeatures(
        vendor: .amd, family: 26, model: 2, avx2: true, fma: true, avx512: true, avx512bf16: true)
    static let skylakeServer = CPUFeatures(
        vendor: .intel, family: 6, model: 85, avx2: true, fma: true, avx512: true, avx512bf16: false)
    static let zen3 = CPUFeatures(
        vendor: .amd, family: 25, model: 1, avx2: true, fma: true, avx512: false, avx512bf16: false)
    static let broadwell = CPUFeatures(
        vendor: .intel, family: 6, model: 79, avx2: true, fma: true, avx512: false, avx512bf16: false)
    static let westmere = CPUFeatures(
        vendor: .intel, family: 6, model: 44, avx2: false, fma: false, avx512: false, avx512bf16: false)

    @Test func choosesTheWidestKernelTheCPUSupports() {
        #expect(BLASKernel.choose(for: Self.emeraldRapids) == "Cooperlake")
        #expect(BLASKernel.choose(for: Self.zen5) == "Cooperlake")
        #expect(BLASKernel.choose(for: Self.skylakeServer) == "SkylakeX")
        #expect(BLASKernel.choose(for: Self.zen3) == "Zen")
        #expect(BLASKernel.choose(for: Self.broadwell) == "Haswell")
    }

    @Test func leavesOpenBLASAloneWithoutAVX2() {
        #expect(BLASKernel.choose(for: Self.westmere) == nil)
        #expect(BLASKernel.candidates(for: Self.westmere) == ["Prescott"])
    }

    @Test func candidatesStartWithTheChoice() {
        for cpu in [Self.emeraldRapids, Self.zen5, Self.skylakeServer, Self.zen3, Self.broadwell] {
            #expect(BLASKernel.candidates(for: cpu).first == BLASKernel.choose(for: cpu))
        }
    }

    @Test func reportsTheKernelOpenBLASRuns() {
        #expect(!BLASKernel.current.isEmpty)
        #expect(BLASKernel.configuration.contains("OpenBLAS"))
    }
}
