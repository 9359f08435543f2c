/// The gradient of an embedding table `[V, E]` that keeps only the rows a backward pass
/// touched: a window of N tokens changes at most N of the V rows, so a dense gradient is
/// mostly zeros (86 MB of them for V = 33,278, E = 650) that zeroing, clipping and the
/// optimizer would each read or write in full. Rows accumulate in the order they are
/// added, as a dense gradient would, so the values are bit for bit the same.
package final class RowSparseGradient {
    /// V
    package let rowCount: Int
    /// E
    package let rowWidth: Int
    /// The rows touched since the last ``zero()``, in first-touch order.
    package private(set) var rows: [Int32] = []
    /// Each row's slot in ``values``, or −1 when untouched.
    private var slotOfRow: [Int32]
    /// `[capacity, E]`: slot `s` holds row `rows[s]`.
    private var values: UnsafeMutablePointer<Float>
    private var capacity: Int
    /// `[E]` zeros, standing for an untouched row.
    private let zeroRow: UnsafeMutablePointer<Float>

    package init(rowCount: Int, rowWidth: Int) {
        self.rowCount = rowCount
        self.rowWidth = rowWidth
        slotOfRow = Array(repeating: -1, count: rowCount)
        capacity = 0
        values = .allocate(capacity: 1)
        zeroRow = .allocate(capacity: max(rowWidth, 1))
        zeroRow.initialize(repeating: 0, count: max(rowWidth, 1))
    }

    deinit {
        values.deallocate()
        zeroRow.deallocate()
    }

    /// `gradient[row] += source` `[E]`.
    package func add(row: Int, _ source: UnsafePointer<Float>) {
        let slot = slot(for: row)  // first: claiming a slot may move the storage
        let target = values + slot * rowWidth
        for column in 0..<rowWidth { target[column] += source[column] }
    }

    /// Forgets every touched row (keeps the storage).
    package func zero() {
        for row in rows { slotOfRow[Int(row)] = -1 }
        rows.removeAll(keepingCapacity: true)
    }

    /// The touched rows' values, `[rows.count, E]`, contiguous.
    package var storedValues: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: values, count: rows.count * rowWidth)
    }

    /// Row `row` of the gradient `[E]`: its stored values, or zeros when untouched.
    package func row(_ row: Int) -> UnsafePointer<Float> {
        let slot = slotOfRow[row]
        return slot < 0 ? UnsafePointer(zeroRow) : UnsafePointer(values + Int(slot) * rowWidth)
    }

    /// The whole `[V, E]` gradient, zeros included (for tests and checks).
    package var denseValues: [Float] {
        var dense = [Float](repeating: 0, count: rowCount * rowWidth)
        for (slot, row) in rows.enumerated() {
            for column in 0..<rowWidth { dense[Int(row) * rowWidth + column] = values[slot * rowWidth + column] }
        }
        return dense
    }

    /// The slot of `row`, claimed (zeroed) on first touch; storage doubles when full.
    private func slot(for row: Int) -> Int {
        let existing = slotOfRow[row]
        if existing >= 0 { return Int(existing) }
        let slot = rows.count
        if slot == capacity { grow() }
        (values + slot * rowWidth).update(repeating: 0, count: rowWidth)
        slotOfRow[row] = Int32(slot)
        rows.append(Int32(row))
        return slot
    }

    private func grow() {
        let grown = min(rowCount, max(64, capacity * 2))
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: grown * rowWidth)
        storage.initialize(from: values, count: rows.count * rowWidth)
        values.deallocate()
        values = storage
        capacity = grown
    }
}
