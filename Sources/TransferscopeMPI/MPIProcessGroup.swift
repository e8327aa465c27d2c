import Foundation
import TransferscopeCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The processes of an MPI job (`MPI_COMM_WORLD`): the collectives of data-parallel training
/// and the messages of a study's scheduler.
///
/// MPI is initialized once, by the first `world()` of a process that an MPI launcher started
/// (`mpirun`, `srun`: see `launchedByMPI`), with `MPI_THREAD_FUNNELED`: only the thread that
/// initialized it calls MPI. Errors in MPI calls stop the job (MPI's default handler,
/// `MPI_ERRORS_ARE_FATAL`).
public final class MPIProcessGroup: ProcessGroup, @unchecked Sendable {
    /// This process's rank in 0..<size.
    public let rank: Int
    /// The number of processes in the job.
    public let size: Int
    /// The MPI library's path and own description, e.g. "libmpi.so.40: Open MPI v4.1.4, ...".
    public let library: String
    private let mpi: OpenMPILibrary

    private init(mpi: OpenMPILibrary) {
        self.mpi = mpi
        var value: Int32 = 0
        _ = mpi.commRank(mpi.world, &value)
        rank = Int(value)
        _ = mpi.commSize(mpi.world, &value)
        size = Int(value)
        library = "\(mpi.path): \(mpi.versionDescription)"
    }

    /// Whether an MPI launcher started this process: Open MPI's `mpirun` sets
    /// `OMPI_COMM_WORLD_SIZE`, PMIx launchers (`srun --mpi=pmix`, Open MPI 4+) `PMIX_RANK`, PMI-2
    /// launchers `PMI_RANK`. `TRANSFERSCOPE_MPI=0` turns MPI off (every process then works alone).
    public static func launchedByMPI(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        if environment["TRANSFERSCOPE_MPI"] == "0" { return false }
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"].contains { environment[$0] != nil }
    }

    private static let shared: Result<MPIProcessGroup?, any Error> = Result {
        guard launchedByMPI() else { return nil }
        defer { startedLock.withLock { isStarted = true } }
        let mpi = try OpenMPILibrary.load()
        var already: Int32 = 0
        _ = mpi.initialized(&already)
        if already == 0 {
            var provided: Int32 = 0
            let code = mpi.initThread(nil, nil, OpenMPILibrary.threadFunneled, &provided)
            guard code == 0, provided >= OpenMPILibrary.threadFunneled else {
                throw OpenMPILibrary.LoadError(
                    message:
                        "MPI could not be initialized for a process whose main thread calls MPI (MPI_Init_thread: "
                        + "error code \(code), thread level \(provided) of the \(OpenMPILibrary.threadFunneled) "
                        + "asked for); check the Open MPI installation (ompi_info)")
            }
        }
        return MPIProcessGroup(mpi: mpi)
    }

    /// The job's processes when an MPI launcher started this one (MPI initialized on the first
    /// call, from the calling thread, which must then be the one that calls MPI), else nil.
    /// Throws when launched by MPI but Open MPI cannot be loaded, rather than letting every
    /// process do the whole job alone.
    public static func world() throws -> MPIProcessGroup? { try shared.get() }

    private static let startedLock = NSLock()
    nonisolated(unsafe) private static var isStarted = false

    /// The world if `world()` has joined it in this process; nil otherwise (never initializes MPI).
    public static var started: MPIProcessGroup? {
        startedLock.withLock { isStarted } ? ((try? shared.get()) ?? nil) : nil
    }

    // MARK: Collectives

    /// Every process's `values` (each passes the same count), in rank order.
    public func allGather(_ values: [Double]) -> [[Double]] {
        let count = values.count
        var gathered = [Double](repeating: 0, count: count * size)
        values.withUnsafeBufferPointer { sent in
            gathered.withUnsafeMutableBufferPointer { received in
                check(
                    mpi.allgather(
                        sent.baseAddress, Int32(count), mpi.double, received.baseAddress, Int32(count), mpi.double,
                        mpi.world), "MPI_Allgather")
            }
        }
        return (0..<size).map { Array(gathered[($0 * count)..<(($0 + 1) * count)]) }
    }

    /// Replaces `count` floats at `buffer` by their sum over the processes (MPI_Allreduce, in
    /// pieces of at most 2^30 values). Open MPI's reductions of a commutative sum give every
    /// process the same bits, and the same for the same process count and message size.
    public func sumInPlace(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        var start = 0
        while start < count {
            let piece = min(count - start, 1 << 30)
            check(
                mpi.allreduce(OpenMPILibrary.inPlace, buffer + start, Int32(piece), mpi.float, mpi.sum, mpi.world),
                "MPI_Allreduce")
            start += piece
        }
    }

    /// MPI_Barrier.
    public func barrier() { check(mpi.barrier(mpi.world), "MPI_Barrier") }

    /// The root's `bytes` on every process (MPI_Bcast of the count, then of the bytes).
    public func broadcast(_ bytes: [UInt8], from root: Int) -> [UInt8] {
        var count = Int64(bytes.count)
        check(mpi.bcast(&count, 1, mpi.int64, Int32(root), mpi.world), "MPI_Bcast")
        var received = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count))
        received.withUnsafeMutableBufferPointer { buffer in
            check(mpi.bcast(buffer.baseAddress, Int32(count), mpi.byte, Int32(root), mpi.world), "MPI_Bcast")
        }
        return received
    }

    // MARK: Messages

    /// A message received from another process: its sender, tag and bytes.
    public struct Message: Sendable {
        /// The sender's rank.
        public var source: Int
        /// The sender's tag.
        public var tag: Int
        /// The payload.
        public var bytes: [UInt8]
    }

    /// Sends `bytes` to process `destination` with `tag` (MPI_Send, blocking until the bytes are copied or received).
    public func send(_ bytes: [UInt8], to destination: Int, tag: Int) {
        bytes.withUnsafeBufferPointer { buffer in
            check(
                mpi.send(buffer.baseAddress, Int32(buffer.count), mpi.byte, Int32(destination), Int32(tag), mpi.world),
                "MPI_Send")
        }
    }

    /// The next message from any process if one has arrived (MPI_Iprobe, then MPI_Recv), else nil.
    public func receiveIfAny() -> Message? {
        let status = UnsafeMutableRawPointer.allocate(byteCount: OpenMPILibrary.statusBytes, alignment: 8)
        defer { status.deallocate() }
        var flag: Int32 = 0
        check(
            mpi.iprobe(OpenMPILibrary.anySource, OpenMPILibrary.anyTag, mpi.world, &flag, status), "MPI_Iprobe")
        guard flag != 0 else { return nil }
        // MPI_Status begins with MPI_SOURCE and MPI_TAG (ints), in every Open MPI.
        let source = status.load(as: Int32.self)
        let tag = status.load(fromByteOffset: 4, as: Int32.self)
        var count: Int32 = 0
        check(mpi.getCount(status, mpi.byte, &count), "MPI_Get_count")
        var bytes = [UInt8](repeating: 0, count: Int(count))
        bytes.withUnsafeMutableBufferPointer { buffer in
            check(
                mpi.recv(buffer.baseAddress, count, mpi.byte, source, tag, mpi.world, status), "MPI_Recv")
        }
        return Message(source: Int(source), tag: Int(tag), bytes: bytes)
    }

    /// Waits for the next message, polling every `interval` seconds: a waiting process sleeps
    /// instead of spinning in MPI_Recv, so it leaves its core to the processes that compute.
    public func receive(polling interval: Double = 0.02) -> Message {
        while true {
            if let message = receiveIfAny() { return message }
            usleep(UInt32(interval * 1_000_000))
        }
    }

    // MARK: Ending

    /// Stops every process of the job with exit status `code` (MPI_Abort).
    public func abort(code: Int32) -> Never {
        _ = mpi.abort(mpi.world, code)
        exit(code)
    }

    /// Ends MPI in this process (MPI_Finalize), once; every process calls it before exiting normally.
    public func finalize() {
        var done: Int32 = 0
        _ = mpi.finalized(&done)
        if done == 0 { _ = mpi.finalize() }
    }

    private func check(_ code: Int32, _ call: String) {
        precondition(code == 0, "\(call) failed with MPI error code \(code) on rank \(rank)")
    }
}
