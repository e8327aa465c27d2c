import Foundation
import TransferscopeCore
import TransferscopeIO
import TransferscopeTraining

/// The work of a study as a graph: pre-training P, then per target and seed a P-T and an RI-T
/// run and the control runs (`Study.Controls`: an RI-T run from the shared initialization, an
/// RI-T run at P-T's rate), then the analyses. Every node has a cache key derived from what determines its result:
/// the tool's version, its own settings, the content digest of the data it reads (the source's
/// for P, its target's for the rest; `DatasetSource.contentDigest`) and the keys of the nodes it
/// reads. A result is reused exactly when none of these changed: a changed target invalidates
/// that target's runs and analyses, a changed source everything.
public struct StudyPlan: Sendable {
    /// What a node does: a training run (P, P-T, RI-T, a control) or one of the analyses.
    /// `fromScratchSameInit` is RI-T from the shared initialization (`Study.sharedInitializationSeed`),
    /// `fromScratchAtFineTuneRate` RI-T at P-T's learning rate.
    public enum Kind: String, Codable, Sendable {
        case pretrain, fineTune, fromScratch, fromScratchSameInit, fromScratchAtFineTuneRate, domain, shuffleSweep,
            sizeSweep, mistakes, cka, distances, interpolation, criticality, checkpoints

        /// Whether the node trains one run on a target (P-T, RI-T or a control).
        public var isTargetRun: Bool {
            [.fineTune, .fromScratch, .fromScratchSameInit, .fromScratchAtFineTuneRate].contains(self)
        }

        /// Whether the node is an experiment that trains many target runs: its parts (a seed and
        /// a setting each) train them, and the node with neither gathers their runs.
        public var isExperiment: Bool { [.shuffleSweep, .sizeSweep, .checkpoints].contains(self) }
    }

    /// One setting of an experiment: a block size or the pixel shuffle of the shuffle sweep, a
    /// source epoch of the checkpoint choice, a number of images per class of the size sweep.
    public enum Setting: Codable, Sendable, Equatable {
        case blockSize(Int)
        case pixel
        case sourceEpoch(Int)
        case perClass(Int)

        /// The number of images per class of a size-sweep setting, else nil.
        public var perClass: Int? { if case .perClass(let k) = self { k } else { nil } }
        /// The source epoch of a checkpoint-choice setting, else nil.
        public var sourceEpoch: Int? { if case .sourceEpoch(let epoch) = self { epoch } else { nil } }

        /// The setting in a node id: `b7`, `pixel`, `epoch-30`, `k100`.
        public var name: String {
            switch self {
            case .blockSize(let b): "b\(b)"
            case .pixel: "pixel"
            case .sourceEpoch(let epoch): "epoch-\(epoch)"
            case .perClass(let k): "k\(k)"
            }
        }
    }

    /// One unit of work of the study, with the cache key that decides whether its result is reused.
    public struct Node: Codable, Sendable, Equatable {
        /// A readable identity: `pretrain`, `clipart/PT-s0`, `clipart/RIT-same-s0`, `clipart/RIT-ptlr-s0`,
        /// `clipart/cka`, ...
        public var id: String
        /// What the node does.
        public var kind: Kind
        /// Index into the study's targets (nil for the pre-training).
        public var target: Int?
        /// The seed of a P-T, RI-T or control run, or of an experiment's part; nil for the
        /// pre-training, the analyses and the node that gathers an experiment's parts.
        public var seed: UInt64?
        /// The setting an experiment's part trains; nil for every other node, and for a part of
        /// the shuffle sweep that trains every block size (when the study does not list them,
        /// they follow P's input size, known only once P is).
        public var setting: Setting? = nil
        /// Ids of the nodes whose results this one reads.
        public var dependencies: [String]
        /// The settings that determine the result (canonical JSON).
        public var settings: String
        /// The content digest of the data the node reads (the source's for the pre-training,
        /// else its target's).
        public var dataDigest: String
        /// Hex digest of the version, the kind, the settings, the data digest and the
        /// dependencies' keys.
        public var key: String

        /// Whether the node is a part of an experiment (it trains that experiment's runs of one
        /// seed and one setting).
        public var isExperimentPart: Bool { kind.isExperiment && seed != nil }
    }

    /// The nodes in dependency order: each after the nodes it reads.
    public let nodes: [Node]

    /// The node with identity `id`, or nil if the plan has none.
    public func node(_ id: String) -> Node? { nodes.first { $0.id == id } }

    /// The plan of `study` for tool version `version`, with the digests of its data as the
    /// files are now (`Study.dataDigests()`: a `stat` per file).
    public init(_ study: Study, version: String) throws {
        try self.init(study, version: version, dataDigests: study.dataDigests())
    }

    /// The plan of `study` for tool version `version`; `dataDigests` holds the content digest of
    /// each of the study's data specifications (`Study.dataSpecifications`).
    public init(_ study: Study, version: String, dataDigests: [String: String]) throws {
        var nodes: [Node] = []
        var keys: [String: String] = [:]
        func add(
            _ id: String, _ kind: Kind, target: Int? = nil, seed: UInt64? = nil, setting: Setting? = nil,
            dependencies: [String], settings: some Encodable
        ) throws {
            let text = try Self.canonical(settings)
            let dataDigest: String
            if let data = target.map({ study.targets[$0].data }) ?? study.source.data {
                guard let digest = dataDigests[data] else {
                    preconditionFailure("no data digest for '\(data)' of node \(id)")
                }
                dataDigest = digest
            } else {
                dataDigest = "no source data"
            }
            let dependencyKeys = dependencies.map { dependency in
                guard let key = keys[dependency] else {
                    preconditionFailure("node \(id) depends on \(dependency), not added before it")
                }
                return key
            }
            let key = Self.digest([version, kind.rawValue, text, dataDigest] + dependencyKeys)
            precondition(keys[id] == nil, "StudyPlan: two nodes are named \(id)")
            keys[id] = key
            nodes.append(
                Node(
                    id: id, kind: kind, target: target, seed: seed, setting: setting, dependencies: dependencies,
                    settings: text, dataDigest: dataDigest, key: key))
        }
        /// An experiment as one part per setting and seed (each trains its runs and depends on P
        /// alone, so that they can run at once, on MPI ranks), then the node `id` that gathers them.
        /// A part's key covers `partSettings` (the experiment's settings without its lists of
        /// settings and seeds), its setting and its seed: another seed or setting added to the
        /// study leaves the parts already trained as they are.
        func addExperiment(
            _ id: String, _ kind: Kind, target: Int, settings: some Encodable, partSettings: some Encodable,
            parts: [Setting?], seeds: [UInt64]
        ) throws {
            let experiment = try Self.canonical(partSettings)
            var partIDs: [String] = []
            for setting in parts {
                for seed in seeds {
                    let partID = "\(id)/" + (setting.map { "\($0.name)-" } ?? "") + "s\(seed)"
                    try add(
                        partID, kind, target: target, seed: seed, setting: setting, dependencies: ["pretrain"],
                        settings: ExperimentPartSettings(experiment: experiment, setting: setting, seed: seed))
                    partIDs.append(partID)
                }
            }
            try add(id, kind, target: target, dependencies: ["pretrain"] + partIDs, settings: settings)
        }
        if let given = study.source.given {
            // A given P: the node adopts its files, so its key follows their contents (size and
            // modification time, as for a dataset's files).
            try add(
                "pretrain", .pretrain, dependencies: [],
                settings: [try Self.canonical(study.source)]
                    + given.files.map { "\($0): \(RegularFile.stamp(atPath: $0))" })
        } else {
            try add(
                "pretrain", .pretrain, dependencies: [],
                settings: [try Self.canonical(study.source), "seed \(Study.sourceSeed)"])
        }
        for (index, chosen) in study.targets.enumerated() {
            let name = Self.targetName(study, index)
            // The target as the keys see it: its data and images, not which analyses and controls
            // run on it (those add or remove nodes; a node that reads another has its key).
            var target = chosen
            target.analyses = nil
            target.controls = nil
            struct RunSettings: Encodable {
                var target: Study.Target
                var recipe: TransferRecipe
                var seed: UInt64
                var fineTune: Bool
            }
            var runs: [String] = []
            for seed in study.seeds {
                for fineTune in [true, false] {
                    let id = "\(name)/\(fineTune ? "PT" : "RIT")-s\(seed)"
                    try add(
                        id, fineTune ? .fineTune : .fromScratch, target: index, seed: seed, dependencies: ["pretrain"],
                        settings: RunSettings(target: target, recipe: study.recipe, seed: seed, fineTune: fineTune))
                    runs.append(id)
                }
            }
            // The controls: settings of their own (the runs above keep their keys), with what sets them apart.
            struct ControlSettings: Encodable {
                var target: Study.Target
                var recipe: TransferRecipe
                var seed: UInt64
                var control: String
                var initializationSeed: UInt64?
                var learningRate: Double
            }
            let controls = study.controls(for: chosen)
            var sameInit: [String] = []
            if controls.sameInit {
                for seed in study.seeds {
                    let id = "\(name)/RIT-same-s\(seed)"
                    try add(
                        id, .fromScratchSameInit, target: index, seed: seed, dependencies: ["pretrain"],
                        settings: ControlSettings(
                            target: target, recipe: study.recipe, seed: seed, control: "same_init",
                            initializationSeed: Study.sharedInitializationSeed,
                            learningRate: study.recipe.scratchLearningRate))
                    sameInit.append(id)
                }
            }
            if controls.scratchAtFineTuneRate {
                for seed in study.seeds {
                    try add(
                        "\(name)/RIT-ptlr-s\(seed)", .fromScratchAtFineTuneRate, target: index, seed: seed,
                        dependencies: ["pretrain"],
                        settings: ControlSettings(
                            target: target, recipe: study.recipe, seed: seed, control: "scratch_at_pt_lr",
                            initializationSeed: nil, learningRate: study.recipe.fineTuneLearningRate))
                }
            }
            let analyses = study.analyses(for: chosen)
            struct WithTarget<T: Encodable>: Encodable {
                var target: Study.Target
                var recipe: TransferRecipe
                var settings: T
            }
            // The domain distance reads only P, the source's and the target's images (a given P
            // without its source data has none).
            if study.source.data != nil {
                try add(
                    "\(name)/domain", .domain, target: index, dependencies: ["pretrain"],
                    settings: WithTarget(target: target, recipe: TransferRecipe(), settings: analyses.domain))
            }
            if let shuffle = analyses.shuffle {
                // Block sizes not listed follow P's input size: one part per seed trains them all.
                let parts: [Setting?] =
                    shuffle.blockSizes.map { $0.map(Setting.blockSize) + (shuffle.pixel ? [.pixel] : []) } ?? [nil]
                var part = shuffle
                part.seeds = nil
                if shuffle.blockSizes != nil { (part.blockSizes, part.pixel) = (nil, false) }
                try addExperiment(
                    "\(name)/shuffle", .shuffleSweep, target: index,
                    settings: WithTarget(
                        target: target, recipe: study.recipe,
                        settings: [try Self.canonical(shuffle), try Self.canonical(shuffle.seeds ?? study.seeds)]),
                    partSettings: WithTarget(target: target, recipe: study.recipe, settings: part),
                    parts: parts, seeds: shuffle.seeds ?? study.seeds)
            }
            if let sizes = analyses.sizes {
                var part = sizes
                (part.perClass, part.seeds) = ([], nil)
                try addExperiment(
                    "\(name)/sizes", .sizeSweep, target: index,
                    settings: WithTarget(
                        target: target, recipe: study.recipe,
                        settings: [try Self.canonical(sizes), try Self.canonical(sizes.seeds ?? study.seeds)]),
                    partSettings: WithTarget(target: target, recipe: study.recipe, settings: part),
                    parts: sizes.perClass.map(Setting.perClass), seeds: sizes.seeds ?? study.seeds)
            }
            if analyses.mistakes {
                try add("\(name)/mistakes", .mistakes, target: index, dependencies: runs, settings: target)
            }
            if let cka = analyses.cka {
                try add(
                    "\(name)/cka", .cka, target: index, dependencies: ["pretrain"] + runs,
                    settings: WithTarget(target: target, recipe: study.recipe, settings: cka))
            }
            if analyses.distances {
                try add(
                    "\(name)/distances", .distances, target: index, dependencies: ["pretrain"] + runs + sameInit,
                    settings: target)
            }
            if let interpolation = analyses.interpolation {
                try add(
                    "\(name)/interpolation", .interpolation, target: index, dependencies: runs + sameInit,
                    settings: WithTarget(target: target, recipe: study.recipe, settings: interpolation))
            }
            if let criticality = analyses.criticality {
                try add(
                    "\(name)/criticality", .criticality, target: index, dependencies: ["pretrain"] + runs,
                    settings: WithTarget(target: target, recipe: study.recipe, settings: criticality))
            }
            // A given P needs two or more source checkpoints for the choice between them.
            if let checkpoints = analyses.checkpoints, (study.source.given?.checkpoints.count ?? 2) >= 2 {
                var part = checkpoints
                part.sourceEpochs = nil
                try addExperiment(
                    "\(name)/checkpoints", .checkpoints, target: index,
                    settings: WithTarget(
                        target: target, recipe: study.recipe,
                        settings: [try Self.canonical(checkpoints), try Self.canonical(study.seeds)]),
                    partSettings: WithTarget(target: target, recipe: study.recipe, settings: part),
                    parts: (checkpoints.sourceEpochs ?? study.keptSourceEpochs).map(Setting.sourceEpoch),
                    seeds: study.seeds)
            }
        }
        self.nodes = nodes
    }

    /// What sets an experiment's part apart from the experiment, in its key.
    private struct ExperimentPartSettings: Encodable {
        var experiment: String
        var setting: Setting?
        var seed: UInt64
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
    static func canonical(_ value: some Encodable) throws -> String { try JSONFile.string(value) }

    /// A 128-bit hex digest of the parts (`ContentDigest`; for cache keys, not security).
    static func digest(_ parts: [String]) -> String { ContentDigest.hex(parts) }
}
