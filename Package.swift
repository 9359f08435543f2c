// swift-tools-version:6.0
import PackageDescription

// Two platform facts shape the first targets (see README, "Platform notes"):
// - ICU is wrapped in a C target whose header shows only plain C types, because
//   Foundation on Linux carries its own ICU copy whose headers clash with the system's,
//   and ICU renames its entry points with version-suffix macros Swift cannot import.
// - OpenBLAS is a system library found through pkg-config; its kernel is chosen when the
//   library loads, so the CLI settles `OPENBLAS_CORETYPE` before that (LMTensor/BLASKernel).
/// Hot numeric code is compiled with full optimisation even in debug test builds, so the
/// test suite's gradient checks and training runs stay fast; bounds checks remain on.
let fast: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "lmtool",
    products: [
        .executable(name: "lmtool", targets: ["lmtool"]),
        // The library: one module that re-exports what a user needs (Sources/LMToolKit).
        .library(name: "LMToolKit", targets: ["LMToolKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .target(
            name: "CICU",
            linkerSettings: [.linkedLibrary("icuuc"), .linkedLibrary("icui18n"), .linkedLibrary("icudata")]),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        // SentencePiece (C++) behind a plain-C header, linked with pkg-config's flags.
        .systemLibrary(
            name: "SentencePieceLibrary",
            pkgConfig: "sentencepiece",
            providers: [.apt(["libsentencepiece-dev"])]),
        .target(name: "CSentencePiece", dependencies: ["SentencePieceLibrary"], cxxSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "LMText", dependencies: ["CICU", "CSentencePiece"]),
        // Open MPI behind a plain-C header (its handles are macros over the addresses of
        // globals, which Swift does not import), compiled and linked with pkg-config's flags.
        .systemLibrary(
            name: "MPILibrary",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "CMPI", dependencies: ["MPILibrary"]),
        // The one reader of CPUID: the processor's features, and the instruction set lmtool's
        // own kernels run.
        .target(name: "CCPU"),
        // lmtool's own kernels, optimised in debug builds too, like the Swift below; each is
        // compiled per instruction set inside its file. Element-wise: vector math, the LSTM
        // cell, the dropout mask, bfloat16 conversion. Products: blocked and packed GEMM,
        // bfloat16 GEMM and GEMV.
        .target(name: "CElementwiseKernels", dependencies: ["CCPU"], cSettings: [.unsafeFlags(["-O3"])]),
        .target(
            name: "CMatrixProducts", dependencies: ["CCPU", "CElementwiseKernels"],
            cSettings: [.unsafeFlags(["-O3"])]),
        // The one pool of threads for numeric work (OpenBLAS runs single-threaded in it).
        .target(name: "CThreadPool", cSettings: [.unsafeFlags(["-O2"])]),
        .target(
            name: "LMTensor",
            dependencies: ["COpenBLAS", "CCPU", "CElementwiseKernels", "CMatrixProducts", "CThreadPool"],
            swiftSettings: fast),
        // The LSTM layer runs the cell's C kernel itself (its fast twin of the plain Swift step).
        .target(name: "LMNetwork", dependencies: ["LMTensor", "CCPU", "CElementwiseKernels"], swiftSettings: fast),
        .target(name: "LMInference", dependencies: ["LMNetwork", "LMText"], swiftSettings: fast),
        // Training reads its windows with LMText's Batcher and validates with LMInference's Evaluator.
        .target(name: "LMTraining", dependencies: ["LMNetwork", "LMText", "LMInference"], swiftSettings: fast),
        .target(name: "LMStore", dependencies: ["LMNetwork", "LMText", "LMTraining"]),
        // Data-parallel training's process group: MPI, started by mpirun (never initialised otherwise).
        .target(name: "LMDistributed", dependencies: ["CMPI", "LMTraining"]),
        // The umbrella module: `import LMToolKit` is the library's one import; kernels and
        // pointer-level plumbing are `package`, and its re-exports leave them out.
        .target(
            name: "LMToolKit", dependencies: ["LMText", "LMTensor", "LMNetwork", "LMInference", "LMTraining", "LMStore"]),
        .executableTarget(
            name: "lmtool",
            dependencies: [
                "LMText", "LMTensor", "LMNetwork", "LMInference", "LMTraining", "LMStore", "LMDistributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Fuzzing: the targets, and a driver that libFuzzer builds (scripts/fuzz) or that
        // replays inputs.
        .target(name: "LMFuzzTargets", dependencies: ["LMText", "LMNetwork", "LMTraining", "LMStore"]),
        .target(name: "CFuzzer"),
        .executableTarget(name: "lmtool-fuzz", dependencies: ["LMFuzzTargets", "CFuzzer"]),
        .testTarget(name: "LMTextTests", dependencies: ["LMText"]),
        .testTarget(name: "LMTensorTests", dependencies: ["LMTensor"]),
        .target(name: "TestSupport", dependencies: ["LMNetwork"], path: "Tests/TestSupport"),
        .testTarget(name: "LMNetworkTests", dependencies: ["LMNetwork", "TestSupport"]),
        .testTarget(name: "LMInferenceTests", dependencies: ["LMInference", "TestSupport"]),
        .testTarget(name: "LMTrainingTests", dependencies: ["LMTraining", "TestSupport"]),
        .testTarget(name: "LMStoreTests", dependencies: ["LMStore", "TestSupport"]),
        .testTarget(name: "LMToolKitTests", dependencies: ["LMToolKit"]),
        .testTarget(name: "lmtoolTests", dependencies: ["lmtool"]),
        .testTarget(name: "LMFuzzTargetsTests", dependencies: ["LMFuzzTargets"], exclude: ["Seeds"]),
        .testTarget(name: "ParityTests", dependencies: ["LMNetwork", "LMStore"], exclude: ["Fixtures"]),
    ],
    cxxLanguageStandard: .cxx17
)
