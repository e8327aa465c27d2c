import Dispatch
import Foundation
import TransferscopeIO

/// The engine's one level of threading: a fixed number of workers, each given a fixed,
/// contiguous share of the work, so that the same thread count gives the same bits.
///
/// OpenBLAS is kept single-threaded (`OpenBLASLibrary` sets it so when it loads): kernels split
/// the batch across workers and each worker calls sgemm on its own share, which avoids
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
    /// is 1, so work nested in a share runs serially on its worker, and the convolution kernels are
    /// the caller's (`ConvolutionKernels.current`): a worker thread would not see the caller's
    /// task-local scope, and would otherwise read the defaults.
    public static func forEachShare(of total: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
        // The count is read here, on the calling thread, where the caller's scope is visible.
        let workers = activeWorkers(for: total)
        let kernels = ConvolutionKernels.current
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
                        work.value(worker, share(of: total, worker: worker, workers: workers))
                    }
                }
            }
        }
    }

    /// The number of workers `forEachShare(of: total)` uses.
    public static func activeWorkers(for total: Int) -> Int { min(workerCount, max(total, 1)) }
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
