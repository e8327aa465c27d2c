/// The processes of one data-parallel job (MPI ranks), as the engine sees them: who this process
/// is, and collective operations in which every process takes part.
///
/// Collectives are called by every process of the group in the same order with the same
/// counts; they return the same bits on every process (synchronized BatchNorm and the averaged
/// gradients depend on it: replicas that drift apart would train different models).
public protocol ProcessGroup: AnyObject, Sendable {
    /// This process's index, in 0..<size.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Every process's `values`, in rank order (every process passes the same count).
    func allGather(_ values: [Double]) -> [[Double]]
    /// Replaces `count` floats at `buffer` by their sum over the processes, the same on each.
    func sumInPlace(_ buffer: UnsafeMutablePointer<Float>, count: Int)
    /// Waits until every process has called it.
    func barrier()
    /// `bytes` of process `root`, on every process (the others' `bytes` are ignored): how the
    /// writer shares what it alone decides or reads, so that every process takes the same branch.
    func broadcast(_ bytes: [UInt8], from root: Int) -> [UInt8]
}

extension ProcessGroup {
    /// The element-wise sums of every process's `values`, added in rank order (so the same on
    /// every process, whatever the transport's reduction order).
    public func sumInRankOrder(_ values: [Double]) -> [Double] {
        var total = [Double](repeating: 0, count: values.count)
        for part in allGather(values) {
            for i in total.indices { total[i] += part[i] }
        }
        return total
    }

    /// Whether this process writes the job's files (rank 0).
    public var isWriter: Bool { rank == 0 }
}
