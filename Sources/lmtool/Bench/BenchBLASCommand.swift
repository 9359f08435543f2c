import ArgumentParser
import Foundation
import LMTensor

/// `lmtool bench blas`: GFLOP/s of `cblas_sgemm` on the shapes the models run, under each
/// OpenBLAS kernel the CPU supports, so that the kernel lmtool chooses is confirmed by
/// measurement. OpenBLAS fixes its kernel when it loads, so each kernel is measured in a
/// child process started with `OPENBLAS_CORETYPE` set. Beside them, lmtool's own
/// recurrent-step kernel (``PackedMatrix``) on each instruction set the CPU has, on the
/// step shapes where it replaces sgemm, and its blocked kernel (``MatrixMultiply/Engine``)
/// on the model shapes.
struct BenchBLASCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas",
        abstract: "Calibrate: sgemm GFLOP/s of every OpenBLAS kernel the CPU supports, on model shapes.")

    @OptionGroup var threads: ThreadsFlag

    @Option(parsing: .unconditional, help: "Timed runs per shape; the median is reported.")
    var repeats = 5

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Flag(help: .hidden)
    var currentKernelOnly = false

    /// A product `[m, k] x [k, n]` that models run, named after where.
    struct Shape: Codable {
        var name: String
        var m: Int
        var n: Int
        var k: Int
    }

    static let shapes = [
        Shape(name: "square", m: 1024, n: 1024, k: 1024),
        Shape(name: "decoder", m: 700, n: 10_000, k: 650),
        Shape(name: "input-proj", m: 700, n: 2600, k: 650),
        Shape(name: "recurrent", m: 20, n: 2600, k: 650),
        Shape(name: "batch-1", m: 1, n: 2600, k: 650),
    ]

    struct KernelResult: Codable {
        var kernel: String
        /// GFLOP/s by shape name, in ``shapes`` order.
        var gigaflops: [Double]
        /// Largest error against a Float64 reference over ``checkedShapes`` and the
        /// transpositions the layers use, relative to the largest reference value.
        var maxRelativeError: Double

        enum CodingKeys: String, CodingKey {
            case kernel, gigaflops
            case maxRelativeError = "max_relative_error"
        }
    }

    /// Odd sizes (no multiple of any SIMD width) and a model's shapes, for the accuracy check.
    static let checkedShapes = [
        Shape(name: "tiny", m: 1, n: 7, k: 5), Shape(name: "odd", m: 3, n: 37, k: 19),
        Shape(name: "window", m: 35, n: 801, k: 199), Shape(name: "decoder", m: 17, n: 1001, k: 65),
    ]

    /// The recurrent step's products: forward at the training and evaluation batches,
    /// and backward (`dG [B, 4H] · W_hh`).
    static let stepShapes = [
        Shape(name: "recurrent", m: 20, n: 2600, k: 650),
        Shape(name: "eval-step", m: 10, n: 2600, k: 650),
        Shape(name: "backward", m: 20, n: 650, k: 2600),
    ]

    struct StepKernelResult: Codable {
        var instructionSet: String
        /// GFLOP/s by shape name, in ``stepShapes`` order.
        var gigaflops: [Double]

        enum CodingKeys: String, CodingKey {
            case instructionSet = "instruction_set"
            case gigaflops
        }
    }

    struct Report: Encodable {
        var shapes: [Shape]
        var kernels: [KernelResult]
        var chosen: String?
        /// What lmtool runs products on in this process (``MatrixMultiply/engine``).
        var engine: String
        var stepShapes: [Shape]
        var stepKernels: [StepKernelResult]
        var threads: Int

        enum CodingKeys: String, CodingKey {
            case shapes, kernels, chosen, engine
            case stepShapes = "step_shapes"
            case stepKernels = "step_kernels"
            case threads
        }
    }

    mutating func validate() throws {
        if repeats < 1 { throw CommandError.flag("--repeats", "must be at least 1") }
    }

    func run() throws {
        try reportingErrors {
            threads.apply()
            if currentKernelOnly {
                print(try JSONOutput.string(measure(engine: .openBLAS, named: BLASKernel.current)))
                return
            }
            let features = CPUFeatures.current
            let results =
                try BLASKernel.candidates(for: features).map(measureInChild)
                + PackedMatrix.InstructionSet.supported.reversed().filter { $0 != .portable }.map(measureBlocked)
            let stepKernels = PackedMatrix.InstructionSet.supported.reversed().map { instructionSet in
                StepKernelResult(
                    instructionSet: instructionSet.description,
                    gigaflops: Self.stepShapes.map { measurePacked($0, instructionSet: instructionSet) })
            }
            let report = Report(
                shapes: Self.shapes, kernels: results, chosen: BLASKernel.choose(for: features),
                engine: MatrixMultiply.engine.description,
                stepShapes: Self.stepShapes, stepKernels: stepKernels, threads: ComputeThreads.count)
            if json {
                print(try JSONOutput.string(report))
                return
            }
            print("sgemm GFLOP/s, \(report.threads) threads, median of \(repeats); lmtool chooses \(report.chosen ?? "OpenBLAS's own")")
            print("OpenBLAS kernels, then lmtool's blocked kernel (\"blocked\"); products here run on \(report.engine)")
            print("shapes (m x n x k): " + Self.shapes.map { "\($0.name) \($0.m)x\($0.n)x\($0.k)" }.joined(separator: ", "))
            print("kernel          " + Self.shapes.map { $0.name.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined() + "max rel. error")
            for result in results {
                let figures = result.gigaflops.map { String(format: "%-12.1f", $0) }.joined()
                print(result.kernel.padding(toLength: 16, withPad: " ", startingAt: 0) + figures + String(format: "%.1e", result.maxRelativeError))
            }
            print("\nlmtool's recurrent-step kernel (weight packed once per window), GFLOP/s")
            print("shapes (m x n x k): " + Self.stepShapes.map { "\($0.name) \($0.m)x\($0.n)x\($0.k)" }.joined(separator: ", "))
            print("vectors     " + Self.stepShapes.map { $0.name.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined())
            for result in stepKernels {
                let figures = result.gigaflops.map { String(format: "%-12.1f", $0) }.joined()
                print(result.instructionSet.padding(toLength: 12, withPad: " ", startingAt: 0) + figures)
            }
        }
    }

    /// Median GFLOP/s of `shape` on `engine` (OpenBLAS: the kernel loaded in this process).
    private func measure(_ shape: Shape, engine: MatrixMultiply.Engine) -> Double {
        let (a, b, c) = Self.operands(shape)
        return rate(of: shape) {
            MatrixMultiply.gemm(m: shape.m, n: shape.n, k: shape.k, a: a.pointer, b: b.pointer, c: c.pointer, engine: engine)
        }
    }

    /// lmtool's blocked kernel on `instructionSet`, measured and checked as the OpenBLAS
    /// kernels are.
    private func measureBlocked(_ instructionSet: PackedMatrix.InstructionSet) -> KernelResult {
        measure(engine: .blocked(instructionSet), named: "blocked \(instructionSet == .avx512 ? "AVX-512" : "AVX2")")
    }

    /// GFLOP/s of `engine` on every shape, and its largest error on the checked shapes.
    private func measure(engine: MatrixMultiply.Engine, named name: String) -> KernelResult {
        KernelResult(
            kernel: name, gigaflops: Self.shapes.map { measure($0, engine: engine) },
            maxRelativeError: Self.checkedShapes.map { Self.relativeError($0, engine: engine) }.max() ?? 0)
    }

    /// Median GFLOP/s of `shape` through ``PackedMatrix`` (packing not timed: it happens
    /// once per window).
    private func measurePacked(_ shape: Shape, instructionSet: PackedMatrix.InstructionSet) -> Double {
        let (a, b, c) = Self.operands(shape)
        let packed = PackedMatrix(instructionSet: instructionSet)
        packed.pack(b.pointer, rows: shape.k, columns: shape.n, transposed: false)
        return rate(of: shape) { packed.multiply(a.pointer, rows: shape.m, beta: 0, into: c.pointer) }
    }

    /// Random `A [m, k]`, `B [k, n]` and room for `C [m, n]`.
    private static func operands(_ shape: Shape) -> (Tensor, Tensor, Tensor) {
        var generator = RandomGenerator(seed: 1)
        let a = Tensor(shape: [shape.m, shape.k])
        let b = Tensor(shape: [shape.k, shape.n])
        a.assign((0..<a.count).map { _ in generator.nextUniform(in: -1, 1) })
        b.assign((0..<b.count).map { _ in generator.nextUniform(in: -1, 1) })
        return (a, b, Tensor(shape: [shape.m, shape.n]))
    }

    /// Median GFLOP/s of `product`, a product of `shape`, after one untimed run.
    private func rate(of shape: Shape, _ product: () -> Void) -> Double {
        let flops = 2.0 * Double(shape.m * shape.n * shape.k)
        product()
        // Each timed run repeats the product for at least 50 ms.
        var rates: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            var products = 0
            var elapsed: UInt64 = 0
            repeat {
                product()
                products += 1
                elapsed = DispatchTime.now().uptimeNanoseconds - start
            } while elapsed < 50_000_000
            rates.append(flops * Double(products) / (Double(elapsed) / 1e9) / 1e9)
        }
        return BenchCommand.median(rates)
    }

    /// Products of `shape` in the three forms the layers use (`A·Bᵀ` forward, `Aᵀ·B` weight
    /// gradients, `A·B` input gradients), against ``MatrixMultiply/reference``.
    static func relativeError(_ shape: Shape, engine: MatrixMultiply.Engine) -> Double {
        var generator = RandomGenerator(seed: 2)
        var worst = 0.0
        for (transposeA, transposeB) in [(false, true), (true, false), (false, false)] {
            let a = (0..<(shape.m * shape.k)).map { _ in generator.nextUniform(in: -1, 1) }
            let b = (0..<(shape.k * shape.n)).map { _ in generator.nextUniform(in: -1, 1) }
            let start = (0..<(shape.m * shape.n)).map { _ in generator.nextUniform(in: -1, 1) }
            var expected = start
            MatrixMultiply.reference(
                transposeA: transposeA, transposeB: transposeB, m: shape.m, n: shape.n, k: shape.k, a: a, b: b, beta: 0.5,
                c: &expected)
            var actual = start
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    actual.withUnsafeMutableBufferPointer { c in
                        MatrixMultiply.gemm(
                            transposeA: transposeA, transposeB: transposeB, m: shape.m, n: shape.n, k: shape.k,
                            a: a.baseAddress!, b: b.baseAddress!, beta: 0.5, c: c.baseAddress!, engine: engine)
                    }
                }
            }
            let scale = expected.map { abs(Double($0)) }.max() ?? 1
            for (x, y) in zip(actual, expected) { worst = max(worst, abs(Double(x) - Double(y)) / scale) }
        }
        return worst
    }

    /// Runs `lmtool bench blas --current-kernel-only` with `OPENBLAS_CORETYPE=kernel`.
    private func measureInChild(kernel: String) throws -> KernelResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        var arguments = ["bench", "blas", "--current-kernel-only", "--repeats", String(repeats)]
        if let count = threads.threads { arguments += ["--threads", String(count)] }
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment[BLASKernel.coreTypeVariable] = kernel
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let result = try? JSONDecoder().decode(KernelResult.self, from: data) else {
            throw CommandError(description: "calibration with OPENBLAS_CORETYPE=\(kernel) failed (exit \(process.terminationStatus))")
        }
        return result
    }
}
