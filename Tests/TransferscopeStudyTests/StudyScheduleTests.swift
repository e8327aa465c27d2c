import Foundation
import Testing
import TransferscopeData

@testable import TransferscopeStudy

@Suite("Study schedule: bottom levels, the critical path and list scheduling on ranks")
struct StudyScheduleTests {
    /// Seven nodes: P, two P-T and two RI-T runs that read it, the domain distance (reads P)
    /// and CKA (reads P and the four runs), in this plan order.
    static func small() throws -> (StudyPlan, String) {
        let study = try StudyFile.parse(
            """
            name: schedule
            source: {data: "procedural:side=8,train=96,test=32,classes=4", model: resnet8, widths: [4, 4, 4]}
            targets:
              - {data: "procedural:side=8,classes=3"}
            seeds: [0, 1]
            controls: {same_init: false, scratch_at_pt_lr: false}
            analyses: {shuffle: false, mistakes: false, distances: false, interpolation: false, criticality: false, \
            checkpoints: false}
            """, path: "schedule.yaml")
        let plan = try StudyPlan(study, version: "1")
        let target = StudyPlan.targetName(study, 0)
        try #require(
            plan.nodes.map(\.id)
                == ["pretrain"] + ["PT-s0", "RIT-s0", "PT-s1", "RIT-s1", "domain", "cka"].map { "\(target)/\($0)" })
        return (plan, target)
    }

    /// Seconds of the small plan, by the ids' last part: the bottom levels worked out by hand are
    /// cka 3, domain 7, PT-s0 4 + 3 = 7, RIT-s0 6 + 3 = 9, PT-s1 7, RIT-s1 5 + 3 = 8, and P
    /// 10 + 9 = 19; the critical path is P, RIT-s0, cka; the sum is 39.
    static let seconds = [
        "pretrain": 10.0, "PT-s0": 4, "RIT-s0": 6, "PT-s1": 4, "RIT-s1": 5, "domain": 7, "cka": 3,
    ]

    static func seconds(_ target: String) -> [String: Double] { ids(target, seconds) }

    /// `values` by the small plan's whole ids: the target's nodes under `target/`.
    static func ids(_ target: String, _ values: [String: Double]) -> [String: Double] {
        Dictionary(
            uniqueKeysWithValues: values.map { ($0.key == "pretrain" ? $0.key : "\(target)/\($0.key)", $0.value) })
    }

    @Test("Bottom levels are the longest remaining paths, worked out by hand")
    func bottomLevels() throws {
        let (plan, target) = try Self.small()
        let levels = StudySchedule.bottomLevels(plan: plan, seconds: Self.seconds(target))
        let expected = ["pretrain": 19.0, "PT-s0": 7, "RIT-s0": 9, "PT-s1": 7, "RIT-s1": 8, "domain": 7, "cka": 3]
        #expect(levels == Self.ids(target, expected))
        // A node missing from the seconds counts 0.
        var partial = Self.seconds(target)
        partial["pretrain"] = nil
        #expect(StudySchedule.bottomLevels(plan: plan, seconds: partial)["pretrain"] == 9)
    }

    @Test("The critical path: its nodes and seconds, without the nodes that take no time")
    func criticalPath() throws {
        let (plan, target) = try Self.small()
        let path = StudySchedule(plan: plan, seconds: Self.seconds(target)).criticalPath
        #expect(path.ids == ["pretrain", "\(target)/RIT-s0", "\(target)/cka"] && path.seconds == 19)
        // With P and RI-T s0 done, the longest path runs through RI-T s1 (5 + 3), P left out.
        let done = StudySchedule(plan: plan, seconds: Self.seconds(target), done: ["pretrain", "\(target)/RIT-s0"])
        #expect(done.criticalPath.ids == ["\(target)/RIT-s1", "\(target)/cka"] && done.criticalPath.seconds == 8)
    }

    @Test(
        "Simulated wall time: the sum on 1 rank, by hand on 2 and 3, the critical path on as many ranks as nodes",
        arguments: [(1, 39.0), (2, 26), (3, 22), (5, 19), (7, 19), (1000, 19)])
    func wallTime(ranks: Int, wall: Double) throws {
        let (plan, target) = try Self.small()
        let simulation = StudySchedule(plan: plan, seconds: Self.seconds(target)).simulate(ranks: ranks)
        #expect(simulation.wallSeconds == wall)
        #expect(simulation.busySeconds == 39 && simulation.ranks == ranks)
        #expect(abs(simulation.busyFraction - 39 / (Double(ranks) * wall)) < 1e-12)
        #expect(Set(simulation.order) == Set(plan.nodes.map(\.id)))
    }

    @Test("On 2 ranks each free rank takes the ready node of the highest bottom level")
    func twoRanks() throws {
        let (plan, target) = try Self.small()
        let simulation = StudySchedule(plan: plan, seconds: Self.seconds(target)).simulate(ranks: 2)
        // P alone; at 10 RI-T s0 (9) and RI-T s1 (8); at 15 P-T s0 (7, before P-T s1 in plan order);
        // at 16 P-T s1; at 19 the domain distance; at 20 CKA, whose runs are all finished.
        let starts = ["pretrain": 0.0, "RIT-s0": 10, "RIT-s1": 10, "PT-s0": 15, "PT-s1": 16, "domain": 19, "cka": 20]
        #expect(simulation.starts == Self.ids(target, starts))
        #expect(
            simulation.order
                == ["pretrain"] + ["RIT-s0", "RIT-s1", "PT-s0", "PT-s1", "domain", "cka"].map { "\(target)/\($0)" })
        #expect(simulation.busyFraction == 0.75)
    }

    @Test("Done nodes take no time and are finished at the start")
    func doneNodes() throws {
        let (plan, target) = try Self.small()
        let schedule = StudySchedule(
            plan: plan, seconds: Self.seconds(target), done: ["pretrain", "\(target)/RIT-s0"])
        #expect(schedule.seconds["pretrain"] == 0 && schedule.seconds["\(target)/RIT-s0"] == 0)
        #expect(schedule.priorities["pretrain"] == 8)
        // The 23 s left; on 2 ranks RI-T s1 and P-T s0 at 0, P-T s1 at 4, the domain distance at 5 (until
        // 12), CKA at 8.
        let one = schedule.simulate(ranks: 1)
        #expect(one.wallSeconds == 23 && one.order.count == 5 && !one.order.contains("pretrain"))
        let two = schedule.simulate(ranks: 2)
        #expect(two.wallSeconds == 12 && two.starts["\(target)/cka"] == 8 && two.starts["\(target)/RIT-s1"] == 0)
        #expect(abs(two.busyFraction - 23.0 / 24) < 1e-12)
        // Everything done: nothing to run.
        let all = StudySchedule(plan: plan, seconds: Self.seconds(target), done: Set(plan.nodes.map(\.id)))
        let none = all.simulate(ranks: 4)
        #expect(none.wallSeconds == 0 && none.order.isEmpty && none.busyFraction == 0)
        #expect(all.criticalPath.ids.isEmpty && all.criticalPath.seconds == 0)
    }

    @Test("Equal priorities go in plan order, whatever the order of the ready nodes")
    func ties() throws {
        let (plan, _) = try Self.small()
        let equal = StudySchedule(plan: plan, seconds: Dictionary(uniqueKeysWithValues: plan.nodes.map { ($0.id, 1) }))
        #expect(equal.simulate(ranks: 1).order == plan.nodes.map(\.id))
        let ready = Array(plan.nodes[1...5].reversed())
        #expect(StudySchedule.next(ready: ready, priorities: [:], plan: plan) == plan.nodes[1])
        #expect(StudySchedule.next(ready: ready, priorities: equal.priorities, plan: plan) == plan.nodes[1])
        // The highest priority wins wherever it stands; a node missing from the priorities counts 0.
        #expect(StudySchedule.next(ready: ready, priorities: [plan.nodes[4].id: 0.5], plan: plan) == plan.nodes[4])
        #expect(StudySchedule.next(ready: [], priorities: equal.priorities, plan: plan) == nil)
    }

    @Test(
        "List scheduling's bounds: at least the critical path and the sum over the ranks, at most both (Graham 1969)",
        arguments: [1, 2, 3, 4, 8])
    func bounds(ranks: Int) throws {
        let study = try StudyEstimateTests.micro()
        let plan = try StudyPlan(study, version: "1")
        for offset in 0..<5 {
            // Uneven seconds from 1 to 13, a different pattern for each offset.
            let seconds = Dictionary(
                uniqueKeysWithValues: plan.nodes.enumerated().map { ($1.id, Double((7 * $0 + offset * 5) % 13 + 1)) })
            let schedule = StudySchedule(plan: plan, seconds: seconds)
            let simulation = schedule.simulate(ranks: ranks)
            let (path, sum) = (schedule.criticalPath.seconds, simulation.busySeconds)
            #expect(simulation.wallSeconds >= max(path, sum / Double(ranks)) - 1e-9)
            #expect(simulation.wallSeconds <= path + sum / Double(ranks) + 1e-9)
            if ranks == 1 { #expect(abs(simulation.wallSeconds - sum) < 1e-9) }
            // Every node starts after the nodes it reads end.
            for node in plan.nodes {
                let start = try #require(simulation.starts[node.id])
                for dependency in node.dependencies {
                    let end = try #require(simulation.starts[dependency]) + (seconds[dependency] ?? 0)
                    #expect(start >= end - 1e-9, "\(node.id) starts before \(dependency) ends")
                }
            }
        }
    }

    @Test("Weights without measuring: 3 per image trained, 1 per image evaluated, 2 per image compared, 1 if unknown")
    func weights() throws {
        let study = try StudyEstimateTests.micro()
        let (plan, workload) = try StudyEstimateTests.workload(study)
        let weights = StudySchedule.weights(workload, plan: plan)
        // P: 192 images trained, 384 evaluated (the hand counts of StudyEstimateTests).
        #expect(weights["pretrain"] == Double(3 * 192 + 384))
        let name = StudyPlan.targetName(study, 0)
        #expect(weights["\(name)/cka"] == Double(2 * 6 * 20) && weights["\(name)/distances"] == 0)
        #expect(weights["\(name)/PT-s0"] == Double(3 * 144 + 4 * 72))
        // The schedule that measures nothing orders by these weights; the target's size unknown, its nodes weigh 1.
        let schedule = StudySchedule.withoutMeasuring(study: study, plan: plan, done: ["pretrain"])
        #expect(schedule.priorities == StudySchedule(plan: plan, seconds: weights, done: ["pretrain"]).priorities)
        var shapes = try StudyEstimateTests.shapes(study)
        shapes[StudyEstimateTests.target] = nil
        let unknown = StudySchedule.weights(StudyWorkload(study: study, plan: plan, data: shapes), plan: plan)
        #expect(unknown["pretrain"] == Double(3 * 192 + 384))
        #expect(plan.nodes.filter { $0.target != nil }.allSatisfy { unknown[$0.id] == 1 })
    }

    @Test("The status lines: a wall time and busy fraction per count of ranks, the critical path shortened when long")
    func lines() throws {
        let (plan, target) = try Self.small()
        let schedule = StudySchedule(plan: plan, seconds: Self.seconds(target))
        #expect(
            schedule.lines(ranks: [2, 1], threads: 1) == [
                "On 2 ranks of 1 thread each (each running one node at a time): 26 s for the 7 nodes to run, the ranks "
                    + "busy 75% of it",
                "On 1 rank of 1 thread each (each running one node at a time): 39 s for the 7 nodes to run, the ranks "
                    + "busy 100% of it",
                "  critical path 19 s (the least wall time on any number of ranks): pretrain -> \(target)/RIT-s0 -> "
                    + "\(target)/cka",
            ])
        let short = schedule.lines(ranks: [1], threads: 4, shownIDs: 2)
        #expect(short.count == 2 && short[0].hasPrefix("On 1 rank of 4 threads each"))
        #expect(short[1].hasSuffix(": pretrain -> ... (2 more)"))
        let done = StudySchedule(plan: plan, seconds: Self.seconds(target), done: Set(plan.nodes.map(\.id)))
        #expect(done.lines(ranks: [3], threads: 2) == ["On 3 ranks of 2 threads each: nothing to run"])
    }
}
