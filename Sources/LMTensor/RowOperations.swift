/// Row-wise helpers for `[rows, columns]` matrices stored row-major.
public enum RowOperations {
    /// `matrix[r, :] = first + second` for every row (two bias vectors of `columns`).
    public static func fill(
        _ matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        with first: UnsafePointer<Float>, plus second: UnsafePointer<Float>? = nil
    ) {
        for row in 0..<rows {
            let target = matrix + row * columns
            if let second {
                for column in 0..<columns { target[column] = first[column] + second[column] }
            } else {
                target.update(from: first, count: columns)
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

    /// `sums[c] += Σ_r matrix[r, c]`.
    public static func accumulateColumnSums(
        of matrix: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>
    ) {
        for row in 0..<rows {
            let source = matrix + row * columns
            for column in 0..<columns { sums[column] += source[column] }
        }
    }
}
