import Dispatch
import Foundation

/// The engine's one level of threading: a fixed number of workers, each given a fixed,
/// contiguous share of the work, so that the same thread count gives the same bits.
///
/// OpenBLAS is kept single-threaded (`OpenBLASLibrary` sets it so when it loads): kernels split
/// the batch across workers and each worker calls sgemm on its own share, which avoids
/// oversubscribing the cores.
public enum Parallel {
    nonisolated(unsafe) private static var configuredWorkers = defaultWorkerCount()

    /// The number of workers kernels split their work across (default: the active cores,
    /// or `TRANSFERSCOPE_THREADS`).
    public static var workerCount: Int { configuredWorkers }

    /// Sets the number of workers; call before any work starts (not thread-safe).
    public static func setWorkerCount(_ count: Int) {
        precondition(count >= 1, "Parallel.setWorkerCount: needs at least 1 worker, got \(count)")
        configuredWorkers = count
    }

    private static func defaultWorkerCount() -> Int {
        // Load OpenBLAS as early as the engine is used, on the calling thread and before work is
        // split across workers: loading sets OPENBLAS_CORETYPE for a moment (the CLI loads it
        // even earlier, on the main thread, for --version).
        _ = OpenBLASLibrary.loaded
        if let text = ProcessInfo.processInfo.environment["TRANSFERSCOPE_THREADS"], let n = Int(text), n >= 1 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The half-open range of `0..<total` that worker `worker` of `workers` owns.
    @inlinable
    public static func share(of total: Int, worker: Int, workers: Int) -> Range<Int> {
        (total * worker / workers)..<(total * (worker + 1) / workers)
    }

    /// Runs `body(worker, range)` for each worker over its share of `0..<total`, in parallel;
    /// uses fewer workers when there are fewer items than workers.
    public static func forEachShare(of total: Int, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
        let workers = min(workerCount, max(total, 1))
        if workers == 1 {
            body(0, 0..<total)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            // The workers only run while this call waits for them, and each touches its own share.
            let work = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                work.value(worker, share(of: total, worker: worker, workers: workers))
            }
        }
    }

    /// The number of workers `forEachShare(of: total)` uses.
    public static func activeWorkers(for total: Int) -> Int { min(workerCount, max(total, 1)) }
}

/// Carries a value into a `@Sendable` closure whose safety the caller has checked by hand.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Fixed slots that parallel workers fill, each slot written by one worker only (so no locking).
public final class SlotArray<Element>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Element>

    public init(count: Int, initial: Element) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: initial)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    public subscript(index: Int) -> Element {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    /// The slots' values, in order.
    public var values: [Element] { Array(storage) }
}
