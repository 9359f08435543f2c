/// The collective operations data-parallel training needs from a group of processes
/// (lmtool's: MPI's, `ProcessGroup` in LMDistributed). Every process of the group makes
/// the same calls in the same order, each call returning once all have made it.
package protocol Collectives: AnyObject {
    /// This process's number, `0 ..< processCount`.
    var rank: Int { get }
    var processCount: Int { get }
    /// Whether the processes run on more than one machine, so that a sum is mostly a
    /// network transfer, which leaves the cores free for other work meanwhile.
    var spansMachines: Bool { get }
    /// `values[i] ← Σ over the processes of values[i]`, in place; every process receives
    /// the same sums, bit for bit.
    func sum(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// The same in Float64.
    func sum(_ values: UnsafeMutableBufferPointer<Double>) throws
    /// Memory every process of the group maps, `count` floats per process, zeroed, for sums
    /// in place (``SharedSum``); nil where the processes do not share memory. Every process
    /// calls it, with the same count.
    func sharedSum(count: Int) throws -> (any SharedSum)?
}

/// A segment of memory per process that every process of a group maps: its values are
/// summed over the processes where they are, without the copies a message-passing sum
/// makes.
package protocol SharedSum: AnyObject {
    /// This process's segment.
    var local: UnsafeMutablePointer<Float> { get }
    /// `local[0..<count] ← Σ over the processes of their local[0..<count]` in every
    /// process, the same sums bit for bit. Every process calls it, with the same count.
    func run(count: Int) throws
}
