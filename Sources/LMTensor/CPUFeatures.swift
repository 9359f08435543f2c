import CCPU

/// The processor features that decide which OpenBLAS kernel can run, read with CPUID.
package struct CPUFeatures: Sendable, Equatable {
    package enum Vendor: String, Sendable { case intel = "Intel", amd = "AMD", other }

    package var vendor: Vendor
    package var brand: String
    package var family: Int
    package var model: Int
    package var avx2: Bool
    package var fma: Bool
    /// AVX-512 F, BW, DQ and VL together (what OpenBLAS's SkylakeX kernels use).
    package var avx512: Bool
    package var avx512bf16: Bool

    package init(
        vendor: Vendor, brand: String = "", family: Int, model: Int,
        avx2: Bool, fma: Bool, avx512: Bool, avx512bf16: Bool
    ) {
        self.vendor = vendor
        self.brand = brand
        self.family = family
        self.model = model
        self.avx2 = avx2
        self.fma = fma
        self.avx512 = avx512
        self.avx512bf16 = avx512bf16
    }

    /// The features of the processor this process runs on; wide registers count only
    /// when the operating system saves them (XGETBV).
    package static let current: CPUFeatures = {
        var info = ccpu_info()
        ccpu_read(&info)
        let vendorName = withUnsafeBytes(of: info.vendor) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let brand = withUnsafeBytes(of: info.brand) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let vendor: Vendor =
            switch vendorName {
            case "GenuineIntel": .intel
            case "AuthenticAMD": .amd
            default: .other
            }
        let avx = info.avx != 0 && info.osSavesAVX != 0
        let avx512 =
            info.osSavesAVX512 != 0 && info.avx512f != 0 && info.avx512bw != 0
            && info.avx512dq != 0 && info.avx512vl != 0
        return CPUFeatures(
            vendor: vendor, brand: brand.trimmingSpaces(), family: Int(info.family), model: Int(info.model),
            avx2: avx && info.avx2 != 0, fma: avx && info.fma != 0,
            avx512: avx512, avx512bf16: avx512 && info.avx512bf16 != 0)
    }()

    /// Feature names for reports, strongest last.
    package var featureNames: [String] {
        [("AVX2", avx2), ("FMA", fma), ("AVX-512", avx512), ("AVX512_BF16", avx512bf16)]
            .filter(\.1).map(\.0)
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
