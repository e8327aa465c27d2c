import Foundation

/// A `ProcessGroup` of threads in one process: data-parallel code run without MPI, with the
/// same collectives (every member's values in rank order, sums added in rank order). For tests
/// and checks; `run(ranks:_:)` starts one thread per rank.
public final class LocalProcessGroup: ProcessGroup, @unchecked Sendable {
    /// This member's rank.
    public let rank: Int
    /// The number of members.
    public var size: Int { shared.size }
    private let shared: Shared

    private init(rank: Int, shared: Shared) {
        self.rank = rank
        self.shared = shared
    }

    /// Runs `body(group)` on `ranks` threads at once, one per rank (each with one engine worker
    /// unless it sets its own), and returns their results in rank order; rethrows the first
    /// rank's error. The body must reach the same collectives on every rank: a member that
    /// throws while others wait in a collective stops the process (as MPI stops the job) rather
    /// than leave them waiting.
    public static func run<Result>(ranks: Int, _ body: @escaping (LocalProcessGroup) throws -> Result) throws
        -> [Result]
    {
        precondition(ranks >= 1, "LocalProcessGroup.run: needs at least one rank, got \(ranks)")
        let shared = Shared(size: ranks)
        let results = SlotArray<Swift.Result<Result, any Error>?>(count: ranks, initial: nil)
        let finished = DispatchGroup()
        let work = UncheckedSendable(body)
        for rank in 0..<ranks {
            finished.enter()
            let thread = Thread {
                let group = LocalProcessGroup(rank: rank, shared: shared)
                let outcome = Swift.Result { try Parallel.withWorkers(1) { try work.value(group) } }
                if case .failure = outcome { shared.poison(rank: rank) }
                results[rank] = outcome
                finished.leave()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        finished.wait()
        return try results.values.map { outcome in
            guard let outcome else { preconditionFailure("LocalProcessGroup.run: a rank ended without a result") }
            return try outcome.get()
        }
    }

    /// Every member's `values`, in rank order.
    public func allGather(_ values: [Double]) -> [[Double]] {
        shared.exchange(rank: rank, values)
    }

    /// The floats at `buffer` replaced by their sum over the members, added in rank order.
    public func sumInPlace(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        let parts = shared.exchange(rank: rank, Array(UnsafeBufferPointer(start: buffer, count: count)))
        for i in 0..<count {
            var total: Float = 0
            for part in parts { total += part[i] }
            buffer[i] = total
        }
    }

    /// Waits for every member.
    public func barrier() { shared.barrier() }

    /// The root member's `bytes`, on every member.
    public func broadcast(_ bytes: [UInt8], from root: Int) -> [UInt8] {
        shared.exchange(rank: rank, bytes)[root]
    }

    /// What the members share: a slot per rank and a reusable barrier.
    private final class Shared: @unchecked Sendable {
        let size: Int
        private let condition = NSCondition()
        private var arrived = 0
        private var generation = 0
        /// Each rank's values of the exchange in progress.
        private var slots: [Any]
        /// The rank that ended with an error, if one did.
        private var failed: Int?

        init(size: Int) {
            self.size = size
            slots = Array(repeating: (), count: size)
        }

        func barrier() {
            condition.lock()
            defer { condition.unlock() }
            let mine = generation
            arrived += 1
            if arrived == size {
                arrived = 0
                generation += 1
                condition.broadcast()
            } else {
                while generation == mine {
                    if let failed {
                        preconditionFailure("LocalProcessGroup: rank \(failed) failed while the others wait for it")
                    }
                    condition.wait()
                }
            }
        }

        /// Records that `rank` ended with an error and wakes the members waiting for it.
        func poison(rank: Int) {
            condition.withLock {
                failed = rank
                condition.broadcast()
            }
        }

        /// Puts `values` in the rank's slot; returns every slot once all have theirs.
        func exchange<Element>(rank: Int, _ values: [Element]) -> [[Element]] {
            condition.withLock { slots[rank] = values }
            barrier()
            let all = condition.withLock { slots }.map { slot in
                guard let values = slot as? [Element] else {
                    preconditionFailure("LocalProcessGroup: the ranks called different collectives")
                }
                return values
            }
            barrier()  // nobody writes the next exchange before all have read this one
            return all
        }
    }
}
