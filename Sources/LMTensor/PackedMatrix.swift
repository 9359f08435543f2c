import CCPU
import CMatrixProducts

/// A right-hand matrix packed once for many products with thin left-hand matrices:
/// `C [m, n] = A [m, k] · B [k, n] + β·C` with m small (a batch) and the same B at every
/// step of a window — the recurrent product of every cell. OpenBLAS would copy ("pack")
/// all of B at each call, which at m = 20 costs as much as the arithmetic; here B is
/// packed into column tiles once (`CMatrixProducts`' `blocked_gemm_pack`) and each product
/// runs the blocked kernel's micro-kernel for the CPU's widest vectors over them (AVX-512:
/// 12 rows by 32 columns, so a batch of 10 reads the weight once per step), its tiles
/// split between ``ComputeThreads/forNextJob`` threads.
package final class PackedMatrix {
    /// The vector instructions a product runs on.
    package enum InstructionSet: Int, CaseIterable, Sendable, CustomStringConvertible {
        case portable = 0, avx2 = 1, avx512 = 2

        /// The widest this CPU and operating system support.
        package static let best = InstructionSet(rawValue: Int(ccpu_best_isa().rawValue)) ?? .portable

        /// Those this CPU supports, narrowest first.
        package static var supported: [InstructionSet] { allCases.filter { $0.rawValue <= best.rawValue } }

        /// The C kernels' name for it.
        var cValue: ccpu_isa { ccpu_isa(rawValue: UInt32(rawValue)) }

        package var description: String {
            switch self {
            case .portable: "portable C"
            case .avx2: "AVX2+FMA"
            case .avx512: "AVX-512"
            }
        }
    }

    /// Memory for one packed matrix, which several ``PackedMatrix`` values may take turns
    /// in: the layers of a stack run one after another and each packs its weight before
    /// its steps, so one buffer serves them all. A matrix whose copy another has since
    /// overwritten reads as not packed.
    package final class Storage {
        fileprivate var workspace = Workspace()
        fileprivate var owner: ObjectIdentifier?

        package init() {}
    }

    package let instructionSet: InstructionSet
    private let storage: Storage
    /// `op(B)`'s shape, `[k, n]`; zero until packed.
    package private(set) var rows = 0
    package private(set) var columns = 0
    /// Whether the packed copy reflects the matrix last given to ``pack(_:rows:columns:transposed:)``
    /// (cleared by ``invalidate()``, or by another matrix packing into the same storage).
    package var isPacked: Bool { packed && storage.owner == ObjectIdentifier(self) }
    private var packed = false
    /// The packed copy in ``storage``: valid while ``isPacked``, since only another matrix's
    /// packing can move it.
    private var packedBase: UnsafeMutablePointer<Float>?
    /// Whether that matrix was packed transposed.
    package private(set) var isTransposed = false

    package init(instructionSet: InstructionSet = .best, storage: Storage = Storage()) {
        self.instructionSet = instructionSet
        self.storage = storage
    }

    private var isa: ccpu_isa { instructionSet.cValue }

    /// Column tiles of the packed layout for `n` columns.
    private func tileCount(columns n: Int) -> Int {
        let width = blocked_gemm_tile_columns(isa)
        return (n + width - 1) / width
    }

    /// Packs `op(B) [k, n]`: `b` stored `[k, n]`, or `[n, k]` when `transposed`, row-major.
    package func pack(_ b: UnsafePointer<Float>, rows k: Int, columns n: Int, transposed: Bool) {
        let buffer = storage.workspace.reserve(blocked_gemm_packed_count(isa, k, n))
        let tiles = tileCount(columns: n)
        let threads = k * n < 1 << 16 ? 1 : min(ComputeThreads.forNextJob, tiles)
        ComputeThreads.forEach(parts: threads) { part in
            let share = Self.share(part, of: threads, tiles: tiles)
            blocked_gemm_pack(
                isa, b, k, n, transposed ? 1 : n, transposed ? k : 1, buffer, share.lowerBound, share.count)
        }
        storage.owner = ObjectIdentifier(self)
        packedBase = buffer
        rows = k
        columns = n
        packed = true
        isTransposed = transposed
    }

    /// Marks the packed copy stale (the matrix is about to change, or the caller will not
    /// use it).
    package func invalidate() { packed = false }

    /// Column tiles of the packed matrix (a product may cover a range of them).
    package var tiles: Int { tileCount(columns: columns) }

    /// The columns that `tiles` cover.
    package func columns(ofTiles tiles: Range<Int>) -> Range<Int> {
        let width = blocked_gemm_tile_columns(isa)
        return min(columns, tiles.lowerBound * width)..<min(columns, tiles.upperBound * width)
    }

    /// `c [m, n] = a [m, k] · B + beta · c` on the calling thread, for a tall `a` used once,
    /// such as a block of the decoder's weight against a window's packed hidden states:
    /// B's tiles taken a group at a time so that they stay in L2 while all of `a` passes
    /// (`blocked_gemm_multiply_packed_direct`; on AVX-512 only, elsewhere as
    /// ``multiply(_:rows:lda:beta:into:ldc:)`` on one thread). Every element of `c` is
    /// computed as that method computes it. With `tiles`, only the columns of those tiles
    /// (``columns(ofTiles:)``) are computed.
    package func multiplyDirect(
        _ a: UnsafePointer<Float>, rows m: Int, lda: Int? = nil, beta: Float, into c: UnsafeMutablePointer<Float>,
        ldc: Int? = nil, tiles: Range<Int>? = nil
    ) {
        precondition(isPacked, "PackedMatrix used before pack()")
        guard m > 0, let packed = packedBase else { return }
        let (k, n) = (rows, columns)
        let tiles = tiles ?? 0..<self.tiles
        blocked_gemm_multiply_packed_direct(
            isa, m, n, k, a, lda ?? k, packed, beta, c, ldc ?? n, tiles.lowerBound, tiles.count)
    }

    /// Whether ``multiplyTall(_:rows:lda:beta:into:ldc:)`` reads `a` in place, blocked for
    /// the caches (AVX-512); elsewhere it would copy all of `a`, and OpenBLAS is the better
    /// choice for a tall product.
    package var runsTallProducts: Bool { instructionSet == .avx512 }

    /// `c [m, n] = a [m, k] · B + beta · c` for a tall `a`, a window's rows rather than one
    /// step's batch (such as `X W_ihᵀ` for all `T·B` inputs, with `W_ih` packed once where
    /// OpenBLAS would copy it on every thread): `a`'s rows are split between
    /// ``ComputeThreads``, and each thread passes blocks of them that stay in L2 over all
    /// of B's tiles (`blocked_gemm_multiply_packed_tall`). Every element of `c` is computed
    /// the same way whatever the split.
    package func multiplyTall(
        _ a: UnsafePointer<Float>, rows m: Int, lda: Int? = nil, beta: Float,
        into c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        precondition(isPacked, "PackedMatrix used before pack()")
        guard m > 0, let packed = packedBase else { return }
        let (k, n, lda, ldc) = (rows, columns, lda ?? rows, ldc ?? columns)
        let threads = m * k * n < 1 << 18 ? 1 : min(ComputeThreads.forNextJob, (m + 15) / 16)
        ComputeThreads.forEach(parts: threads) { part in
            let rows = ComputeThreads.alignedRange(part, of: threads, count: m)
            blocked_gemm_multiply_packed_tall(
                isa, rows.count, n, k, a + rows.lowerBound * lda, lda, packed, beta, c + rows.lowerBound * ldc, ldc)
        }
    }

    /// ``multiply(_:rows:lda:beta:into:ldc:)`` for the columns of `tiles` only
    /// (``columns(ofTiles:)``), on the calling thread.
    package func multiply(
        _ a: UnsafePointer<Float>, rows m: Int, lda: Int? = nil, beta: Float,
        into c: UnsafeMutablePointer<Float>, ldc: Int? = nil, tiles: Range<Int>
    ) {
        precondition(isPacked, "PackedMatrix used before pack()")
        guard m > 0, let packed = packedBase else { return }
        let (k, n) = (rows, columns)
        blocked_gemm_multiply_packed(isa, m, n, k, a, lda ?? k, packed, beta, c, ldc ?? n, tiles.lowerBound, tiles.count)
    }

    /// `c [m, n] = a [m, k] · B + beta · c`; `a` and `c` row-major with row lengths
    /// `lda` (default k) and `ldc` (default n). `beta` = 0 ignores `c`'s old contents.
    /// A large product's column tiles are split between ``ComputeThreads``; every element
    /// of `c` is computed the same way whatever the split.
    package func multiply(
        _ a: UnsafePointer<Float>, rows m: Int, lda: Int? = nil, beta: Float,
        into c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        let threads = threads(forRows: m)
        ComputeThreads.forEach(parts: threads) { part in
            multiply(a, rows: m, lda: lda, beta: beta, into: c, ldc: ldc, tiles: tiles(part, of: threads))
        }
    }

    /// Threads a product with `m` rows is split between: one when it is too small to repay
    /// waking another.
    package func threads(forRows m: Int) -> Int {
        m * rows * columns < 1 << 18 ? 1 : min(ComputeThreads.forNextJob, tiles)
    }

    /// The `part`-th of `parts` even ranges of the tiles.
    package func tiles(_ part: Int, of parts: Int) -> Range<Int> { Self.share(part, of: parts, tiles: tiles) }

    /// The `part`-th of `parts` even ranges of `0..<tiles`.
    private static func share(_ part: Int, of parts: Int, tiles: Int) -> Range<Int> {
        tiles * part / parts..<tiles * (part + 1) / parts
    }
}
