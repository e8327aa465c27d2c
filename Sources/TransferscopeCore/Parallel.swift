import Dispatch
import Foundation
import TransferscopeIO

/// The engine's one level of threading: a fixed number of workers, each given a fixed,
/// contiguous share of the work (`forEachShare`), so that the same thread count gives the same
/// bits, or taking fixed chunks of work as they come free (`forEachChunk`) where each chunk's
/// result does not depend on who computes it.
///
/// OpenBLAS is kept single-threaded (`OpenBLASLibrary` sets it so when it loads): kernels split
/// the batch across workers and each worker calls sgemm on its own images, which avoids
/// oversubscribing the cores.
public enum Parallel {
    /// The number of workers when no scope sets one: `TRANSFERSCOPE_THREADS` (at most
    /// `Limits.threads`; values above it are taken as `Limits.threads`), else the active cores,
    /// shared among the MPI ranks an MPI launcher started on this machine
    /// (`OMPI_COMM_WORLD_LOCAL_SIZE`, `MPI_LOCALNRANKS`), so that they do not oversubscribe it.
    /// Read once, when the engine is first used, and never changed.
    public static let defaultWorkerCount: Int = {
        // Load OpenBLAS as early as the engine is used, on the calling thread and before work is
        // split across workers: loading sets OPENBLAS_CORETYPE for a moment (the CLI loads it
        // even earlier, on the main thread, for --version).
        _ = OpenBLASLibrary.loaded
        let environment = ProcessInfo.processInfo.environment
        if let text = environment["TRANSFERSCOPE_THREADS"], let n = Int(text), n >= 1 { return min(n, Limits.threads) }
        let localRanks =
            environment["TRANSFERSCOPE_MPI"] == "0"
            ? 1
            : ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"].lazy.compactMap { environment[$0].flatMap { Int($0) } }
                .first { $0 >= 1 } ?? 1
        return min(max(1, ProcessInfo.processInfo.activeProcessorCount / localRanks), Limits.threads)
    }()

    /// The number of workers kernels started in this task split their work across (default:
    /// `defaultWorkerCount`). Scoped, never assigned: set it for a piece of work with
    /// `withWorkers(_:_:)`, so that work running elsewhere in the process keeps its own count.
    /// Read on the calling thread only: inside `forEachShare`'s workers it reads 1 (see there).
    @TaskLocal public static var workerCount = defaultWorkerCount

    /// Runs `body` with `count` workers for the kernels it starts (in this task and the tasks
    /// it creates), then restores the count it found.
    public static func withWorkers<Result>(_ count: Int, _ body: () throws -> Result) rethrows -> Result {
        precondition(
            (1...Limits.threads).contains(count),
            "Parallel.withWorkers: needs 1...\(Limits.threads) workers, got \(count)")
        return try $workerCount.withValue(count, operation: body)
    }

    /// The half-open range of `0..<total` that worker `worker` of `workers` owns.
    @inlinable
    public static func share(of total: Int, worker: Int, workers: Int) -> Range<Int> {
        (total * worker / workers)..<(total * (worker + 1) / workers)
    }

    /// Runs `body(worker, range)` for each worker over its share of `0..<total`, in parallel;
    /// uses fewer workers when there are fewer items than workers. Inside `body` the worker count
    /// is 1, so work nested in a share runs serially on its worker, and the convolution kernels
    /// (`ConvolutionKernels.current`) and the chunk schedule (`chunkSchedule`) are the caller's: a
    /// worker thread would not see the caller's task-local scope, and would otherwise read the defaults.
    public static func forEachShare(of total: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
        // The count is read here, on the calling thread, where the caller's scope is visible.
        let workers = activeWorkers(for: total)
        let kernels = ConvolutionKernels.current
        let schedule = chunkSchedule
        if workers == 1 {
            $workerCount.withValue(1) { body(0, 0..<total) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            // The workers only run while this call waits for them, and each touches its own share.
            let work = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                // A worker thread does not see the caller's scope: work nested in a share runs
                // on its worker alone, not with the default count.
                $workerCount.withValue(1) {
                    ConvolutionKernels.$current.withValue(kernels) {
                        $chunkSchedule.withValue(schedule) {
                            work.value(worker, share(of: total, worker: worker, workers: workers))
                        }
                    }
                }
            }
        }
    }

    /// The number of workers `forEachShare(of: total)` uses.
    public static func activeWorkers(for total: Int) -> Int { min(workerCount, max(total, 1)) }

    /// Runs `body(worker, chunk)` for every chunk in `0..<count`, in parallel: each worker takes
    /// the next chunk nobody has taken (`ChunkQueue`), so a worker whose core runs slower for a
    /// while takes fewer. (With fixed equal shares, one worker finished 12-16% of a convolution's
    /// time before the other, on average, on a 2-core cloud machine; which one varied.) Which
    /// worker runs a chunk varies from run to run: `body` must compute a chunk alike on any worker
    /// (the worker index is for its scratch only) and sum nothing across chunks; the results then
    /// depend neither on the schedule nor on the worker count.
    public static func forEachChunk(of count: Int, _ body: (_ worker: Int, _ chunk: Int) -> Void) {
        let workers = activeWorkers(for: count)
        let queue = ChunkQueue(count: count, workers: workers)
        forEachShare(of: workers) { worker, _ in
            while let chunk = queue.take(worker: worker) { body(worker, chunk) }
        }
    }

    /// How a `ChunkQueue` hands out its chunks.
    public enum ChunkSchedule: Sendable {
        /// Each chunk, first to last, to whichever worker asks first (the default).
        case firstFree
        /// Each chunk, last to first, to whichever worker asks first: for tests that check that
        /// results do not depend on the schedule.
        case firstFreeReversed
        /// Worker w takes the chunks of its fixed share (`share(of:worker:workers:)`), in order, as
        /// `forEachShare` would: for benchmarks that measure what the free-worker schedule gains.
        case fixedShares
    }

    /// The schedule of the `ChunkQueue`s created in this task (default `firstFree`).
    @TaskLocal public static var chunkSchedule = ChunkSchedule.firstFree

    /// The chunks `0..<count`, each handed out once, under the creating task's `chunkSchedule`.
    public final class ChunkQueue: @unchecked Sendable {
        /// The chunks handed out: `0..<count`.
        public let count: Int
        private let workers: Int
        private let schedule: ChunkSchedule
        private var taken = 0
        private var takenByWorker: [Int]
        private let lock = NSLock()

        /// `count` chunks for `workers` workers, under the calling task's `Parallel.chunkSchedule`.
        public init(count: Int, workers: Int) {
            self.count = max(count, 0)
            self.workers = max(workers, 1)
            schedule = Parallel.chunkSchedule
            takenByWorker = [Int](repeating: 0, count: max(workers, 1))
        }

        /// The next chunk for `worker` (in 0..<workers), or nil when there is none left for it.
        public func take(worker: Int) -> Int? {
            lock.lock()
            defer { lock.unlock() }
            switch schedule {
            case .firstFree, .firstFreeReversed:
                guard taken < count else { return nil }
                taken += 1
                return schedule == .firstFree ? taken - 1 : count - taken
            case .fixedShares:
                let share = Parallel.share(of: count, worker: worker, workers: workers)
                guard takenByWorker[worker] < share.count else { return nil }
                takenByWorker[worker] += 1
                return share.lowerBound + takenByWorker[worker] - 1
            }
        }
    }
}

/// Carries a value into a `@Sendable` closure whose safety the caller has checked by hand.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    /// The value carried.
    public let value: Value
    /// Carries `value`.
    public init(_ value: Value) { self.value = value }
}

/// Fixed slots that parallel workers fill, each slot written by one worker only (so no locking).
public final class SlotArray<Element>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Element>

    /// `count` slots, each holding `initial`.
    public init(count: Int, initial: Element) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: initial)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    /// The value of slot `index` (in 0..<count); only its own worker may write it.
    public subscript(index: Int) -> Element {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    /// The slots' values, in order.
    public var values: [Element] { Array(storage) }
}
