import Foundation
import TransferscopeCore
import TransferscopeIO
import TransferscopeMPI
import TransferscopeTraining

/// A study over the processes of an MPI job (`mpirun -n N transferscope study run`): the plan's
/// independent nodes run on different processes at once.
///
/// Rank 0 schedules: it prepares the study as `run` does, tells the others to start, then hands
/// each process that asks the ready node (every dependency done) that leads the longest path of
/// remaining work (`StudySchedule`), running nodes itself on a second thread meanwhile. The other
/// ranks make the same plan from the same files, check each node's key against rank 0's, run it
/// and mark it done exactly as `run` would, and ask for the next. Results, cache keys and resume
/// are `run`'s: every node writes under the study's directory (which every process must see, on
/// a shared filesystem), so a killed job started again, with any number of processes or
/// without MPI, continues where it stopped, and results.json equals one process's (timings
/// aside). A node that fails stops the job: its process exits with the error, and MPI stops
/// every other process (`Transferscope.main`).
extension StudyRunner {
    /// The messages between rank 0 and the others, by MPI tag.
    enum SchedulerTag: Int {
        /// rank 0 -> all: the data is prepared; make the plan.
        case start = 1
        /// a rank -> rank 0: give me a node (after the start, and after each node).
        case ready = 2
        /// rank 0 -> a rank: run this node (`Assignment`).
        case assign = 3
        /// rank 0 -> all: every node is done; stop.
        case stop = 4
    }

    /// A node handed to a rank, with the key rank 0 computed for it.
    struct Assignment: Codable {
        var node: String
        var key: String
    }

    /// Runs the study over `group`'s processes (every process calls it; rank 0 schedules).
    public func run(over group: MPIProcessGroup) throws {
        try Parallel.withWorkers(threads) {
            if group.rank == 0 { try schedule(group) } else { try work(group) }
        }
    }

    // MARK: Rank 0

    private func schedule(_ group: MPIProcessGroup) throws {
        let lock = try begin()
        defer { lock.release() }
        for rank in 1..<group.size { group.send([], to: rank, tag: SchedulerTag.start.rawValue) }
        let clock = Date()
        let count = plan.nodes.count
        let position = Dictionary(uniqueKeysWithValues: plan.nodes.enumerated().map { ($1.id, $0 + 1) })
        var finished = Set(plan.nodes.filter(isDone).map(\.id))
        for (index, node) in plan.nodes.enumerated() where finished.contains(node.id) {
            onProgress(index + 1, count, node.id, "done earlier")
        }
        let ran = count - finished.count
        // The order the simulation of `study status --ranks` assumes; the data is prepared by now,
        // so every node's work is known.
        let priorities = StudySchedule.withoutMeasuring(study: study, plan: plan, done: finished).priorities
        var running: [String: (rank: Int, start: Date)] = [:]
        var idle: [Int] = [0]
        let local = LocalExecutor()
        while finished.count < count {
            while let message = group.receiveIfAny() {
                guard message.tag == SchedulerTag.ready.rawValue else { continue }
                if let id = running.first(where: { $0.value.rank == message.source })?.key {
                    report(id, position, count, running.removeValue(forKey: id), finished: &finished)
                }
                idle.append(message.source)
            }
            if let (id, result) = local.takeResult() {
                try result.get()
                report(id, position, count, running.removeValue(forKey: id), finished: &finished)
                idle.append(0)
            }
            while !idle.isEmpty {
                let ready = plan.nodes.filter { node in
                    !finished.contains(node.id) && running[node.id] == nil
                        && node.dependencies.allSatisfy(finished.contains)
                }
                guard let node = StudySchedule.next(ready: ready, priorities: priorities, plan: plan) else { break }
                let rank = idle.removeFirst()
                running[node.id] = (rank, Date())
                onProgress(position[node.id] ?? 0, count, node.id, "running on rank \(rank)")
                if rank == 0 {
                    local.start(node, runner: self)
                } else {
                    let assignment = try JSONEncoder().encode(Assignment(node: node.id, key: node.key))
                    group.send(Array(assignment), to: rank, tag: SchedulerTag.assign.rawValue)
                }
            }
            if finished.count < count { usleep(20_000) }
        }
        for rank in 1..<group.size { group.send([], to: rank, tag: SchedulerTag.stop.rawValue) }
        try finish(clock: clock, ran: ran)
    }

    /// Marks `id` finished and says so, with its rank and seconds.
    private func report(
        _ id: String, _ position: [String: Int], _ count: Int, _ run: (rank: Int, start: Date)?,
        finished: inout Set<String>
    ) {
        finished.insert(id)
        let seconds = run.map { Date().timeIntervalSince($0.start) } ?? 0
        onProgress(
            position[id] ?? 0, count, id, String(format: "finished in %.0f s on rank %d", seconds, run?.rank ?? 0))
    }

    // MARK: Other ranks

    private func work(_ group: MPIProcessGroup) throws {
        // The plan is made once rank 0 has prepared the data, from the same files.
        var message = group.receive()
        guard message.tag == SchedulerTag.start.rawValue else { return }
        plan = try StudyPlan(study, version: TransferscopeVersion.current)
        while true {
            group.send([], to: 0, tag: SchedulerTag.ready.rawValue)
            message = group.receive()
            guard message.tag == SchedulerTag.assign.rawValue else { return }
            let assignment = try JSONDecoder().decode(Assignment.self, from: Data(message.bytes))
            guard let node = plan.node(assignment.node), node.key == assignment.key else {
                throw StudyError.rankSeesOtherData(study: study.name, node: assignment.node, rank: group.rank)
            }
            do {
                _ = try executeAndMark(node)
            } catch {
                throw StudyError.nodeFailed(
                    study: study.name, node: node.id, rank: group.rank, reason: error.localizedDescription)
            }
        }
    }
}

/// Rank 0's own node, run on a second thread while the first keeps scheduling (only the first
/// calls MPI).
private final class LocalExecutor: @unchecked Sendable {
    private let lock = NSLock()
    private var result: (String, Result<Void, any Error>)?

    /// Runs `node` on a new thread with the runner's workers.
    func start(_ node: StudyPlan.Node, runner: StudyRunner) {
        // The scheduling thread does not touch the runner while the node runs (it reads only the
        // plan and the done markers on disk).
        let work = UncheckedSendable(runner)
        let threads = runner.threads
        let thread = Thread { [self] in
            let outcome = Result {
                try Parallel.withWorkers(threads) { _ = try work.value.executeAndMark(node) }
            }.mapError { error -> any Error in
                StudyError.nodeFailed(
                    study: work.value.study.name, node: node.id, rank: 0, reason: error.localizedDescription)
            }
            lock.withLock { result = (node.id, outcome) }
        }
        thread.stackSize = 64 << 20
        thread.start()
    }

    /// The finished node and its outcome, once (nil while it runs or when none ran).
    func takeResult() -> (String, Result<Void, any Error>)? {
        lock.withLock {
            defer { result = nil }
            return result
        }
    }
}
