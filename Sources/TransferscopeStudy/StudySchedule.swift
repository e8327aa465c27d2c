import Foundation

/// How a study's plan runs on ranks that each run one node at a time (MPI ranks, each with its
/// own worker threads): list scheduling by bottom level (Adam, Chandy and Dickson 1974, "A
/// comparison of list schedules for parallel processing systems"). A node's bottom level is its
/// own seconds plus the largest bottom level among the nodes that read it: the longest remaining
/// path from its start to the end of the plan. Whenever a rank is free it takes the ready node
/// (every dependency finished) of the highest bottom level, ties in plan order (`next`); the
/// simulation (`simulate`) and the MPI scheduler make the same choice.
public struct StudySchedule: Sendable {
    /// The plan scheduled.
    public let plan: StudyPlan
    /// Seconds of every node of the plan, by node id: 0 for a node done or missing from the
    /// seconds given.
    public let seconds: [String: Double]
    /// Ids of the nodes done: they take no time and are finished at time 0.
    public let done: Set<String>
    /// Each node's bottom level (`bottomLevels`), by node id: the priority of `next`.
    public let priorities: [String: Double]

    /// The schedule of `plan` whose nodes take `seconds` (a node missing counts 0); the nodes in
    /// `done` take 0.
    public init(plan: StudyPlan, seconds: [String: Double], done: Set<String> = []) {
        self.plan = plan
        self.done = done
        self.seconds = Dictionary(
            uniqueKeysWithValues: plan.nodes.map { ($0.id, done.contains($0.id) ? 0 : seconds[$0.id] ?? 0) })
        priorities = Self.bottomLevels(plan: plan, seconds: self.seconds)
    }

    /// The schedule of what `estimate` still has to run, at its estimated seconds.
    public init(_ estimate: StudyEstimate) {
        let ids = Set(estimate.plan.nodes.map(\.id))
        self.init(plan: estimate.plan, seconds: estimate.seconds, done: ids.subtracting(estimate.toRun))
    }

    /// Each node's bottom level: b(v) = seconds(v) + max over the nodes w that read v of b(w)
    /// (0 when none does), with `seconds` 0 for a node missing from it. One pass over the plan
    /// backwards (each node comes after the nodes it reads): O(nodes + dependencies).
    public static func bottomLevels(plan: StudyPlan, seconds: [String: Double]) -> [String: Double] {
        var levels: [String: Double] = [:]
        var below: [String: Double] = [:]  // the largest bottom level among the nodes that read each node
        for node in plan.nodes.reversed() {
            let level = (seconds[node.id] ?? 0) + (below[node.id] ?? 0)
            levels[node.id] = level
            for dependency in node.dependencies { below[dependency] = max(below[dependency] ?? 0, level) }
        }
        return levels
    }

    /// The node a free rank takes among `ready`: the one of the highest priority (a node missing
    /// from `priorities` counts 0), the earliest in `plan` among equals; nil when `ready` holds
    /// no node of `plan`. O(plan nodes).
    public static func next(
        ready: [StudyPlan.Node], priorities: [String: Double], plan: StudyPlan
    ) -> StudyPlan.Node? {
        let readyIDs = Set(ready.map(\.id))
        var best: StudyPlan.Node?
        for node in plan.nodes where readyIDs.contains(node.id) {
            if let chosen = best, (priorities[node.id] ?? 0) <= (priorities[chosen.id] ?? 0) { continue }
            best = node
        }
        return best
    }

    /// The longest path through the plan: its nodes from the first to the last, leaving out those
    /// that take no time (done, or of unknown work), and its seconds (the largest bottom level,
    /// the least wall time on any number of ranks). It starts at the node of the largest bottom
    /// level and goes on each time to the reader of the largest, the earliest in plan order among equals.
    public var criticalPath: (ids: [String], seconds: Double) {
        var readers: [String: [String]] = [:]
        for node in plan.nodes {
            for dependency in node.dependencies { readers[dependency, default: []].append(node.id) }
        }
        func highest(_ ids: [String]) -> String? {
            ids.reduce(nil) { best, id in
                guard let best, (priorities[id] ?? 0) <= (priorities[best] ?? 0) else { return id }
                return best
            }
        }
        var path: [String] = []
        var current = highest(plan.nodes.map(\.id))
        let length = current.map { priorities[$0] ?? 0 } ?? 0
        while let id = current {
            path.append(id)
            current = highest(readers[id] ?? [])
        }
        return (path.filter { (seconds[$0] ?? 0) > 0 }, length)
    }

    /// What `simulate` finds: when each node starts and how long the plan takes.
    public struct Simulation: Sendable, Equatable {
        /// The ranks simulated.
        public var ranks: Int
        /// Seconds from the start until the last node finishes.
        public var wallSeconds: Double
        /// Seconds of node work, all ranks together (the plan's nodes' seconds summed).
        public var busySeconds: Double
        /// The ids of the nodes run, in the order the ranks took them (done nodes left out).
        public var order: [String]
        /// Each node's start, in seconds from the start, by node id (done nodes left out).
        public var starts: [String: Double]

        /// The fraction of the ranks' time spent running nodes: busy / (ranks x wall); 0 when
        /// there is nothing to run.
        public var busyFraction: Double { wallSeconds > 0 ? busySeconds / (Double(ranks) * wallSeconds) : 0 }
    }

    /// Runs the schedule on `ranks` identical ranks, each running one node at a time: at every
    /// moment a rank is free it takes the ready node that `next` chooses; the done nodes are
    /// finished at 0. O(nodes^2 x dependencies) at worst, for plans of hundreds of nodes.
    public func simulate(ranks: Int) -> Simulation {
        precondition(ranks >= 1, "simulate needs 1 or more ranks, got \(ranks)")
        var finished = done
        var waiting = plan.nodes.filter { !done.contains($0.id) }
        var running: [(id: String, end: Double)] = []
        var order: [String] = []
        var starts: [String: Double] = [:]
        var now = 0.0
        while !waiting.isEmpty || !running.isEmpty {
            var ready = waiting.filter { $0.dependencies.allSatisfy(finished.contains) }
            while running.count < ranks, let node = Self.next(ready: ready, priorities: priorities, plan: plan) {
                ready.removeAll { $0.id == node.id }
                waiting.removeAll { $0.id == node.id }
                running.append((node.id, now + (seconds[node.id] ?? 0)))
                order.append(node.id)
                starts[node.id] = now
            }
            guard let end = running.map(\.end).min() else {
                preconditionFailure("nodes wait on dependencies outside the plan: \(waiting.map(\.id))")
            }
            now = end
            for node in running where node.end == end { finished.insert(node.id) }
            running.removeAll { $0.end == end }
        }
        return Simulation(
            ranks: ranks, wallSeconds: now, busySeconds: plan.nodes.reduce(0) { $0 + (seconds[$1.id] ?? 0) },
            order: order, starts: starts)
    }

    /// The simulation on each count of `ranks` of `threads` threads each (those the seconds are
    /// for) for `study status`: a line per count with the wall time of the nodes to run and how
    /// busy the ranks are, then the critical path, its middle left out past `shownIDs` nodes.
    public func lines(ranks: [Int], threads: Int, shownIDs: Int = 6) -> [String] {
        var lines: [String] = []
        for count in ranks {
            let simulation = simulate(ranks: count)
            let head = "On \(count) rank\(count == 1 ? "" : "s") of \(threads) thread\(threads == 1 ? "" : "s") each"
            let nodes = simulation.order.count
            guard nodes > 0 else {
                lines.append(head + ": nothing to run")
                continue
            }
            lines.append(
                head + " (each running one node at a time): \(StudyEstimate.duration(simulation.wallSeconds)) for "
                    + "the \(nodes) node\(nodes == 1 ? "" : "s") to run, the ranks busy "
                    + String(format: "%.0f%%", 100 * simulation.busyFraction) + " of it")
        }
        let path = criticalPath
        guard !path.ids.isEmpty else { return lines }
        var ids = path.ids
        if ids.count > shownIDs {
            let kept = shownIDs / 2
            ids = ids.prefix(kept) + ["... (\(ids.count - shownIDs + 1) more)"] + ids.suffix(shownIDs - kept - 1)
        }
        lines.append(
            "  critical path \(StudyEstimate.duration(path.seconds)) (the least wall time on any number of ranks): "
                + ids.joined(separator: " -> "))
        return lines
    }
}
