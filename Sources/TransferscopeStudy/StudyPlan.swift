import Foundation

/// The work of a study as a graph: pre-training P, then per target and seed a P-T and an RI-T
/// run, then the analyses. Every node has a cache key derived from everything that determines
/// its result (its own settings, the keys of the nodes it reads, and the tool's version), so a
/// result is reused exactly when nothing it depends on changed.
public struct StudyPlan: Sendable {
    public enum Kind: String, Codable, Sendable {
        case pretrain, fineTune, fromScratch, shuffleSweep, mistakes, cka, distances, interpolation, criticality, checkpoints
    }

    public struct Node: Codable, Sendable, Equatable {
        /// A readable identity: `pretrain`, `clipart/PT-s0`, `clipart/cka`, ...
        public var id: String
        public var kind: Kind
        /// Index into the study's targets (nil for the pre-training).
        public var target: Int?
        public var seed: UInt64?
        /// Ids of the nodes whose results this one reads.
        public var dependencies: [String]
        /// The settings that determine the result (canonical JSON).
        public var settings: String
        /// Hex digest of the settings, the dependencies' keys and the version.
        public var key: String
    }

    public let nodes: [Node]

    public func node(_ id: String) -> Node? { nodes.first { $0.id == id } }

    /// The plan of `study` for tool version `version`.
    public init(_ study: Study, version: String) {
        var nodes: [Node] = []
        var keys: [String: String] = [:]
        func add(_ id: String, _ kind: Kind, target: Int? = nil, seed: UInt64? = nil, dependencies: [String], settings: some Encodable) {
            let text = Self.canonical(settings)
            let key = Self.digest([version, kind.rawValue, text] + dependencies.map { keys[$0]! })
            keys[id] = key
            nodes.append(Node(id: id, kind: kind, target: target, seed: seed, dependencies: dependencies, settings: text, key: key))
        }
        add("pretrain", .pretrain, dependencies: [], settings: [Self.canonical(study.source), "seed \(StudyRunner.sourceSeed)"])
        for (index, target) in study.targets.enumerated() {
            let name = Self.targetName(study, index)
            struct RunSettings: Encodable {
                var target: Study.Target
                var recipe: Study.Recipe
                var seed: UInt64
                var fineTune: Bool
            }
            var runs: [String] = []
            for seed in study.seeds {
                for fineTune in [true, false] {
                    let id = "\(name)/\(fineTune ? "PT" : "RIT")-s\(seed)"
                    add(id, fineTune ? .fineTune : .fromScratch, target: index, seed: seed, dependencies: ["pretrain"],
                        settings: RunSettings(target: target, recipe: study.recipe, seed: seed, fineTune: fineTune))
                    runs.append(id)
                }
            }
            let analyses = study.analyses
            struct WithTarget<T: Encodable>: Encodable {
                var target: Study.Target
                var recipe: Study.Recipe
                var settings: T
            }
            if let shuffle = analyses.shuffle {
                add("\(name)/shuffle", .shuffleSweep, target: index, dependencies: ["pretrain"],
                    settings: WithTarget(target: target, recipe: study.recipe, settings: [Self.canonical(shuffle), Self.canonical(shuffle.seeds ?? study.seeds)]))
            }
            if analyses.mistakes { add("\(name)/mistakes", .mistakes, target: index, dependencies: runs, settings: target) }
            if let cka = analyses.cka { add("\(name)/cka", .cka, target: index, dependencies: ["pretrain"] + runs, settings: WithTarget(target: target, recipe: study.recipe, settings: cka)) }
            if analyses.distances { add("\(name)/distances", .distances, target: index, dependencies: ["pretrain"] + runs, settings: target) }
            if let interpolation = analyses.interpolation {
                add("\(name)/interpolation", .interpolation, target: index, dependencies: runs,
                    settings: WithTarget(target: target, recipe: study.recipe, settings: interpolation))
            }
            if let criticality = analyses.criticality {
                add("\(name)/criticality", .criticality, target: index, dependencies: ["pretrain"] + runs,
                    settings: WithTarget(target: target, recipe: study.recipe, settings: criticality))
            }
            if let checkpoints = analyses.checkpoints {
                add("\(name)/checkpoints", .checkpoints, target: index, dependencies: ["pretrain"],
                    settings: WithTarget(target: target, recipe: study.recipe, settings: [Self.canonical(checkpoints), Self.canonical(study.seeds)]))
            }
        }
        self.nodes = nodes
    }

    /// A unique, path-safe name for target `index` (its dataset name, numbered when repeated).
    public static func targetName(_ study: Study, _ index: Int) -> String {
        func base(_ data: String) -> String {
            let last = data.split(separator: "/").last.map(String.init) ?? data
            return String(last.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" })
        }
        let name = base(study.targets[index].data)
        let same = study.targets.prefix(index).filter { base($0.data) == name }.count
        return same == 0 ? name : "\(name)-\(same + 1)"
    }

    /// Sorted-key JSON of `value`.
    static func canonical(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// A 128-bit hex digest of the parts (two FNV-1a 64 passes with different offsets; for cache
    /// keys, not security).
    static func digest(_ parts: [String]) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325, b: UInt64 = 0x8422_2325_cbf2_9ce4
        for part in parts {
            for byte in part.utf8 + [0] {
                a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
                b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 &+ 0x9E37_79B9
            }
        }
        return String(format: "%016llx%016llx", a, b)
    }
}
