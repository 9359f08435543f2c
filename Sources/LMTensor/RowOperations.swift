import CPackedGEMM

/// Row-wise helpers for `[rows, columns]` matrices stored row-major.
public enum RowOperations {
    /// `matrix[r, :] = first + second` for every row (two bias vectors of `columns`), the
    /// rows split between threads when the matrix is large.
    public static func fill(
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
    public static func add(
        _ vector: UnsafePointer<Float>, toRowsOf matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int
    ) {
        for row in 0..<rows {
            let target = matrix + row * columns
            for column in 0..<columns { target[column] += vector[column] }
        }
    }

    /// `sums[c] += Σ_r matrix[r, c]`, the columns split between threads when the matrix
    /// is large (each column is still summed in row order).
    public static func accumulateColumnSums(
        of matrix: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>
    ) {
        let parts = rows * columns < 1 << 16 ? 1 : min(ComputeThreads.count, (columns + 15) / 16)
        ComputeThreads.forEach(parts: parts) { part in
            // Column ranges start at multiples of 16 floats (64 bytes): no two threads write
            // the same cache line of `sums`.
            let first = (columns + 15) / 16 * part / parts * 16
            let end = min(columns, (columns + 15) / 16 * (part + 1) / parts * 16)
            guard first < end else { return }
            for row in 0..<rows { vector_add(Activations.kernels, sums + first, matrix + row * columns + first, end - first) }
        }
    }
}
