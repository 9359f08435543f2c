import COpenBLAS

#if canImport(Glibc)
    import Glibc
#endif

/// Which OpenBLAS kernel runs, and why.
///
/// Debian 12's OpenBLAS (0.3.21) picks its kernel once, when the library loads, from the
/// CPU model; it does not know recent CPUs and falls back to slow SSE3 kernels on some.
/// The `lmtool` executable therefore settles `OPENBLAS_CORETYPE` before OpenBLAS loads
/// (see ``prepareProcess(arguments:)``). A program that embeds the library sets the
/// variable itself before it starts, for example to ``choose(for:)`` of
/// ``CPUFeatures/current``, and reads what runs from ``current``.
package enum BLASKernel {
    /// Environment variable OpenBLAS reads when it loads.
    package static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set by lmtool when it chose the kernel and re-executed itself.
    static let chosenMarker = "LMTOOL_BLAS_CHOSEN"

    package enum Reason: String, Sendable {
        case chosenByLmtool = "chosen by lmtool"
        case setByUser = "set by the user (OPENBLAS_CORETYPE)"
        case openBLASDefault = "OpenBLAS's own choice"
    }

    /// The best OpenBLAS 0.3.21 kernel the features support, or nil where OpenBLAS's own
    /// choice is as good (no AVX2: its SSE kernels are all that can run).
    ///
    /// AVX512_BF16 → `Cooperlake`; AVX-512 F/BW/DQ/VL → `SkylakeX`; AVX2 + FMA →
    /// `Zen` on AMD, `Haswell` elsewhere. `lmtool bench blas` measures the choice
    /// against the alternatives on the shapes models run.
    package static func choose(for features: CPUFeatures) -> String? {
        if features.avx512 && features.avx512bf16 { return "Cooperlake" }
        if features.avx512 { return "SkylakeX" }
        if features.avx2 && features.fma { return features.vendor == .amd ? "Zen" : "Haswell" }
        return nil
    }

    /// Kernels the features can run, best first, for calibration.
    package static func candidates(for features: CPUFeatures) -> [String] {
        var names: [String] = []
        if features.avx512 && features.avx512bf16 { names.append("Cooperlake") }
        if features.avx512 { names.append("SkylakeX") }
        if features.avx2 && features.fma { names += features.vendor == .amd ? ["Zen", "Haswell"] : ["Haswell"] }
        names.append("Prescott")
        return names
    }

    /// Call first thing in an executable: when the user has not set `OPENBLAS_CORETYPE`
    /// and the CPU supports a better kernel, sets it and re-executes the program once so
    /// that OpenBLAS loads with it. Returns normally when no re-execution is needed or
    /// possible.
    package static func prepareProcess(arguments: [String]) {
        guard userSetting == nil, getenv(chosenMarker) == nil,
            let kernel = choose(for: .current)
        else { return }
        setenv(coreTypeVariable, kernel, 1)
        setenv(chosenMarker, kernel, 1)
        var cArguments = arguments.map { strdup($0) }
        cArguments.append(nil)
        execv("/proc/self/exe", &cArguments)
        // execv returned: the kernel stays OpenBLAS's own; say so truthfully.
        unsetenv(coreTypeVariable)
        for pointer in cArguments { free(pointer) }
    }

    /// Whether the named OpenBLAS kernel computes with AVX-512 (`SkylakeX` and later).
    package static func usesAVX512(_ kernel: String) -> Bool {
        ["skylakex", "cooperlake", "sapphirerapids"].contains(kernel.lowercased())
    }

    /// The kernel OpenBLAS is running (`openblas_get_corename()`).
    package static var current: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's build configuration (`openblas_get_config()`), including its version.
    package static var configuration: String { String(cString: openblas_get_config()) }

    /// Why ``current`` is the kernel in use.
    package static var reason: Reason {
        if let marker = getenv(chosenMarker), let set = getenv(coreTypeVariable),
            String(cString: marker) == String(cString: set)
        {
            return .chosenByLmtool
        }
        return userSetting != nil ? .setByUser : .openBLASDefault
    }

    /// The kernel the user asked for; an empty `OPENBLAS_CORETYPE=` counts as unset, as a
    /// shell user means it (OpenBLAS itself would fall back to a kernel of its own).
    static var userSetting: String? {
        guard let value = getenv(coreTypeVariable), value.pointee != 0 else { return nil }
        return String(cString: value)
    }
}
