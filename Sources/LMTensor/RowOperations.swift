import CElementwiseKernels

/// Row-wise helpers for `[rows, columns]` matrices stored row-major.
package enum RowOperations {
    /// `matrix[r, :] = first + second` for every row (two bias vectors of `columns`), the
    /// rows split between threads when the matrix is large.
    package static func fill(
        _ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        with first: UnsafePointer<Float>, plus second: UnsafePointer<Float>? = nil
    ) {
        ComputeThreads.forEachRange(of: rows, splitting: rows * columns >= 1 << 16) { range in
            for row in range {
                let target = matrix + row * columns
                if let second {
                    for column in 0..<columns { target[column] = first[column] + second[column] }
                } else {
                    target.update(from: first, count: columns)
                }
            }
        }
    }

    /// `matrix[r, :] += vector` for every row.
    package static func add(
        _ vector: UnsafePointer<Float>, toRowsOf matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int
    ) {
        for row in 0..<rows {
            let target = matrix + row * columns
            for column in 0..<columns { target[column] += vector[column] }
        }
    }

    /// `sums[ids[r], :] += matrix[r, :]` for every row: rows summed by id, the columns split
    /// between threads when the matrix is large (each sum still taken in row order).
    package static func accumulateRows(
        of matrix: UnsafePointer<Float>, rows: Int, columns: Int, at ids: [Int32], into sums: UnsafeMutablePointer<Float>
    ) {
        precondition(ids.count == rows, "one id per row")
        forEachColumnRange(rows: rows, columns: columns) { first, end in
            for row in 0..<rows {
                vector_add(
                    Activations.kernels, sums + Int(ids[row]) * columns + first, matrix + row * columns + first,
                    end - first)
            }
        }
    }

    /// `sums[c] += Σ_r matrix[r, c]`, the columns split between threads when the matrix
    /// is large (each column is still summed in row order).
    package static func accumulateColumnSums(
        of matrix: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>
    ) {
        forEachColumnRange(rows: rows, columns: columns) { first, end in
            accumulateColumnSums(of: matrix, rows: rows, columns: columns, in: first..<end, into: sums)
        }
    }

    /// `sums[c] += Σ_r matrix[r, c]` for the columns `c` in `range`, on the calling thread,
    /// each column summed in row order.
    package static func accumulateColumnSums(
        of matrix: UnsafePointer<Float>, rows: Int, columns: Int, in range: Range<Int>,
        into sums: UnsafeMutablePointer<Float>
    ) {
        guard !range.isEmpty else { return }
        for row in 0..<rows {
            vector_add(Activations.kernels, sums + range.lowerBound, matrix + row * columns + range.lowerBound, range.count)
        }
    }

    /// Runs `body(first, end)` on ranges of the columns (``ComputeThreads/alignedRange(_:of:count:)``),
    /// one per thread when the matrix is large.
    private static func forEachColumnRange(rows: Int, columns: Int, _ body: (Int, Int) -> Void) {
        let parts = rows * columns < 1 << 16 ? 1 : min(ComputeThreads.forNextJob, (columns + 15) / 16)
        ComputeThreads.forEach(parts: parts) { part in
            let range = ComputeThreads.alignedRange(part, of: parts, count: columns)
            guard !range.isEmpty else { return }
            body(range.lowerBound, range.upperBound)
        }
    }
}
