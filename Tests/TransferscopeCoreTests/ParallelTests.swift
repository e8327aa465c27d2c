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
