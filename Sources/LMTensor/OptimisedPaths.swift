/// lmtool's own fast paths — the recurrent product through a weight packed once per window
/// (``PackedMatrix``), the blocked matrix-product kernel (``MatrixMultiply/Engine``),
/// element-wise kernels on the CPU's widest vectors (``Activations``, ``Softmax``) and
/// element-wise work split between threads (``ComputeThreads/forEach(parts:_:)``), a small
/// vocabulary's embedding table projected in place of the window's inputs — can be
/// switched off, leaving OpenBLAS for every product and single-threaded loops on baseline
/// x86-64 vectors. `lmtool bench` does so to check that both
/// give the same losses; nothing else should.
package enum OptimisedPaths {
    nonisolated(unsafe) package static var enabled = true
}
