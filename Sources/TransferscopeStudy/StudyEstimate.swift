import Foundation
import TransferscopeData
import TransferscopeNN

/// The estimated wall time of a study's plan on this machine: the work of each node
/// (`StudyWorkload`, in images) at the seconds per image measured here (`ImageCosts`). A node
/// whose result is cached costs nothing to run; the whole plan counts every node.
public struct StudyEstimate: Sendable {
    /// The plan estimated.
    public let plan: StudyPlan
    /// The seconds per image the estimate is made of.
    public let costs: ImageCosts
    /// Estimated seconds of each node whose work is known, by node id (cached nodes included).
    public let seconds: [String: Double]
    /// Ids of the nodes still to run (no result for their current key).
    public let toRun: Set<String>
    /// Why the size of some of the study's data is unknown, by data specification.
    public let unknownData: [String: String]

    /// The estimate of `plan` with `workload` at `costs`; the nodes in `done` have their results.
    public init(
        plan: StudyPlan, workload: StudyWorkload, costs: ImageCosts, done: Set<String>,
        unknownData: [String: String] = [:]
    ) {
        self.plan = plan
        self.costs = costs
        seconds = workload.work.mapValues { costs.seconds($0) }
        toRun = Set(plan.nodes.map(\.id)).subtracting(done)
        self.unknownData = unknownData
    }

    /// Estimated seconds of the nodes still to run (those whose work is known).
    public var secondsToRun: Double {
        plan.nodes.filter { toRun.contains($0.id) }.reduce(0) { $0 + (seconds[$1.id] ?? 0) }
    }

    /// Estimated seconds of every node of the plan, cached or not (those whose work is known).
    public var secondsOfPlan: Double { plan.nodes.reduce(0) { $0 + (seconds[$1.id] ?? 0) } }

    /// Estimated seconds of the nodes still to run by the group of their kind (`group(of:)`), in
    /// plan order.
    public var secondsToRunByGroup: [(group: String, seconds: Double)] {
        var groups: [(group: String, seconds: Double)] = []
        for node in plan.nodes where toRun.contains(node.id) {
            let name = Self.group(of: node.kind)
            let nodeSeconds = seconds[node.id] ?? 0
            if let index = groups.firstIndex(where: { $0.group == name }) {
                groups[index].seconds += nodeSeconds
            } else {
                groups.append((name, nodeSeconds))
            }
        }
        return groups
    }

    /// The name of the group a node kind is summed in: the four kinds of target run together.
    public static func group(of kind: StudyPlan.Kind) -> String {
        switch kind {
        case .pretrain: return "pre-training"
        case .fineTune, .fromScratch, .fromScratchSameInit, .fromScratchAtFineTuneRate: return "target runs"
        case .shuffleSweep: return "shuffle sweep"
        case .sizeSweep: return "size sweep"
        case .domain: return "domain distance"
        case .cka: return "CKA"
        case .mistakes, .distances, .interpolation, .criticality, .checkpoints: return kind.rawValue
        }
    }

    /// The estimate in a few lines for `study status`: the time to run what is not cached (by
    /// group) and of the whole plan, the measured costs, and the nodes left out with the reason.
    public var lines: [String] {
        let nodesToRun = toRun.count
        let groups = secondsToRunByGroup.filter { $0.seconds >= 0.5 }
            .map { "\($0.group) \(Self.duration($0.seconds))" }
        var lines = [
            "Estimated wall time on this machine (\(costs.threads) thread\(costs.threads == 1 ? "" : "s")): "
                + "\(Self.duration(secondsToRun)) for the \(nodesToRun) node\(nodesToRun == 1 ? "" : "s") to run"
                + (groups.isEmpty ? "" : " (\(groups.joined(separator: ", ")))")
                + "; \(Self.duration(secondsOfPlan)) for the whole plan of \(plan.nodes.count) nodes"
        ]
        let trained = costs.trained.sorted { $0.key < $1.key }.map {
            String(format: "%.2f ms/image trained (batch %d)", 1000 * $0.value, $0.key)
        }
        lines.append(
            "  from measured costs of " + trained.joined(separator: ", ")
                + String(
                    format: ", %.2f ms/image evaluated and %.2f ms/image compared by CKA (measured in %.1f s)",
                    1000 * costs.evaluated, 1000 * costs.compared, costs.measurementSeconds))
        let unknown = plan.nodes.filter { seconds[$0.id] == nil }
        if !unknown.isEmpty {
            let reasons = unknownData.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            lines.append(
                "  not estimated, and left out of the times above: \(unknown.count) node(s) ("
                    + unknown.prefix(4).map(\.id).joined(separator: ", ") + (unknown.count > 4 ? ", ..." : "") + ")"
                    + (reasons.isEmpty
                        ? "" : "; the size of their data is unknown (\(reasons.joined(separator: "; ")))"))
        }
        return lines
    }

    /// `seconds` for people: seconds, minutes, hours, or days beyond two days.
    public static func duration(_ seconds: Double) -> String {
        switch seconds {
        case ..<90: return String(format: "%.0f s", seconds)
        case ..<(90 * 60): return String(format: "%.0f min", seconds / 60)
        case ..<(48 * 3600): return String(format: "%.1f h", seconds / 3600)
        default: return String(format: "%.1f days", seconds / 86400)
        }
    }
}
