import Foundation
import Testing
import TransferscopeCore
import TransferscopeIO

/// The worker count is a scoped value (issue 16): set by `Parallel.withWorkers` for the work
/// inside, never assigned for the whole process.
@Suite("Parallel")
struct ParallelTests {
    @Test("withWorkers sets the count inside its scope and restores it after, nested scopes included")
    func scopes() {
        let outside = Parallel.workerCount
        Parallel.withWorkers(3) {
            #expect(Parallel.workerCount == 3)
            Parallel.withWorkers(1) { #expect(Parallel.workerCount == 1) }
            #expect(Parallel.workerCount == 3)
            #expect(Parallel.activeWorkers(for: 100) == 3 && Parallel.activeWorkers(for: 2) == 2)
        }
        #expect(Parallel.workerCount == outside)
    }

    @Test("Shares cover the work once each; inside a share the count reads 1, not the default")
    func shares() {
        let total = 103
        let seen = SlotArray<Int>(count: total, initial: 0)
        let countsInside = SlotArray<Int>(count: 4, initial: -1)
        Parallel.withWorkers(4) {
            Parallel.forEachShare(of: total) { worker, range in
                countsInside[worker] = Parallel.workerCount
                for i in range { seen[i] += 1 }
            }
        }
        #expect(seen.values == [Int](repeating: 1, count: total))
        #expect(countsInside.values == [1, 1, 1, 1])
    }

    @Test("Inside every share the convolution kernels are the caller's, not the defaults, on every thread")
    func kernelsCarriedIntoShares() {
        let chosen = ConvolutionKernels(direct: false, directWeightGradient: false)
        #expect(chosen != ConvolutionKernels.automatic)
        // The two shares must run on two threads for the test to prove anything. When the tests
        // around it keep the dispatch pool's threads busy, both may run on the calling thread:
        // then it tries again (up to 5 times), rather than failing on the machine's load.
        var inside = [Int]()
        var threads = Set<UInt>()
        for _ in 0..<5 where threads.count < 2 {
            let seen = SlotArray<Int>(count: 2, initial: -1)
            let ran = SlotArray<UInt>(count: 2, initial: 0)
            let arrived = SlotArray<Int>(count: 2, initial: 0)
            Parallel.withWorkers(2) {
                ConvolutionKernels.$current.withValue(chosen) {
                    Parallel.forEachShare(of: 2) { worker, _ in
                        // Wait (up to 5 s) for the other share, so that the two run on two threads.
                        arrived[worker] = 1
                        let deadline = Date().addingTimeInterval(5)
                        while arrived.values.reduce(0, +) < 2 && Date() < deadline { usleep(1000) }
                        ran[worker] = UInt(pthread_self())
                        seen[worker] = ConvolutionKernels.current == chosen ? 1 : 0
                    }
                }
            }
            inside = seen.values
            threads = Set(ran.values)
        }
        #expect(threads.count == 2, "the two shares ran on one thread 5 times: the test proves nothing")
        #expect(inside == [1, 1])
    }

    @Test(
        "Chunks are handed out once each under every schedule; fixed shares give each worker its own, in order",
        arguments: [Parallel.ChunkSchedule.firstFree, .firstFreeReversed, .fixedShares])
    func chunks(_ schedule: Parallel.ChunkSchedule) {
        for (workers, count) in [(1, 5), (2, 17), (3, 2), (4, 103), (2, 0)] {
            let seen = SlotArray<Int>(count: count, initial: 0)
            let owner = SlotArray<Int>(count: count, initial: -1)
            let countsInside = SlotArray<Int>(count: workers, initial: -1)
            Parallel.withWorkers(workers) {
                Parallel.$chunkSchedule.withValue(schedule) {
                    Parallel.forEachChunk(of: count) { worker, chunk in
                        countsInside[worker] = Parallel.workerCount
                        seen[chunk] += 1
                        owner[chunk] = worker
                    }
                }
            }
            #expect(seen.values == [Int](repeating: 1, count: count), "\(schedule), \(workers) workers")
            #expect(countsInside.values.allSatisfy { $0 == 1 || $0 == -1 })
            if schedule == .fixedShares {
                let active = Parallel.withWorkers(workers) { Parallel.activeWorkers(for: count) }
                let expected = (0..<count).map { chunk in
                    (0..<active).first { Parallel.share(of: count, worker: $0, workers: active).contains(chunk) }!
                }
                #expect(owner.values == expected, "\(workers) workers")
            }
        }
        // One queue, asked by hand: the order of each schedule.
        let order = Parallel.$chunkSchedule.withValue(schedule) {
            let queue = Parallel.ChunkQueue(count: 5, workers: 2)
            var taken: [Int] = []
            while let chunk = queue.take(worker: 1) { taken.append(chunk) }
            return taken
        }
        let expected: [Parallel.ChunkSchedule: [Int]] = [
            .firstFree: [0, 1, 2, 3, 4], .firstFreeReversed: [4, 3, 2, 1, 0], .fixedShares: [2, 3, 4],
        ]
        #expect(order == expected[schedule])
        // More workers than chunks: the one chunk goes out once (under fixed shares to worker 2,
        // whose share of one chunk is 0..<1), asked by workers 2, 1, 0 in turn.
        let few = Parallel.$chunkSchedule.withValue(schedule) { Parallel.ChunkQueue(count: 1, workers: 3) }
        let taken = [2, 1, 0].map { worker in few.take(worker: worker) }
        #expect(taken == [0, nil, nil])
        #expect(few.take(worker: 2) == nil)
    }

    @Test("A workspace serves every worker index up to Limits.threads, whatever the count it was made under")
    func workspaceSlots() {
        let workspace = Parallel.withWorkers(1) { Workspace() }
        for worker in [0, 1, 3, Limits.threads - 1] {
            let buffer = workspace.floats(worker: worker, count: 16)
            buffer[15] = Float(worker)
            #expect(workspace.floats(worker: worker, count: 8)[15] == Float(worker), "worker \(worker) kept its buffer")
        }
    }
}
