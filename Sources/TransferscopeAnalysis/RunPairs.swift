/// The kinds of model pairs (and single runs) the paper's analyses compare; the raw values are
/// the labels results files and the report use.
public enum PairKind: String, Codable, Sendable, CaseIterable {
    /// P and a model fine-tuned from it.
    case sourceAndFineTuned = "P/P-T"
    /// Two P-T runs (different seeds, one shared start).
    case fineTunedPair = "P-T/P-T"
    /// A P-T run and the RI-T run of the same seed.
    case fineTunedAndScratch = "P-T/RI-T"
    /// Two RI-T runs (different seeds and random starts).
    case scratchPair = "RI-T/RI-T"
    /// A P-T run and its own start (P with the new head).
    case fineTunedAndStart = "P-T/start"
    /// An RI-T run and its own random initialization.
    case scratchAndStart = "RI-T/start"
    /// Two RI-T runs from one shared random initialization (different data orders): the paper's
    /// "equal random initializations".
    case scratchSameInitPair = "RI-T/RI-T same init"
    /// An RI-T run from the shared initialization and that initialization.
    case scratchSameInitAndStart = "RI-T same init/start"
    /// One P-T run (module criticality measures a run against its start).
    case fineTuned = "P-T"
    /// One RI-T run.
    case scratch = "RI-T"

}

/// Two runs compared by an analysis, and the kind of the pair.
public struct RunPair: Sendable, Equatable {
    /// What the pair compares.
    public var kind: PairKind
    /// The first run's id.
    public var a: String
    /// The second run's id ("start" for a run's own start).
    public var b: String

    /// A pair of `kind` between `a` and `b`.
    public init(_ kind: PairKind, _ a: String, _ b: String) {
        self.kind = kind
        self.a = a
        self.b = b
    }
}

/// Every pairing of runs the analyses use, in one place.
public enum RunPairs {
    /// Every unordered pair (items[i], items[j]) with i < j, in order.
    public static func unordered<Item>(_ items: [Item]) -> [(Item, Item)] {
        items.indices.flatMap { i in items[(i + 1)...].map { (items[i], $0) } }
    }

    /// The pairs the paper compares between the P-T and RI-T runs of one target (run ids in seed
    /// order): every two P-T runs, each P-T run with the RI-T run of its seed, every two RI-T runs.
    public static func paper(fineTuned: [String], scratch: [String]) -> [RunPair] {
        unordered(fineTuned).map { RunPair(.fineTunedPair, $0.0, $0.1) }
            + zip(fineTuned, scratch).map { RunPair(.fineTunedAndScratch, $0.0, $0.1) }
            + unordered(scratch).map { RunPair(.scratchPair, $0.0, $0.1) }
    }

    /// Every two RI-T runs that share one random initialization (run ids in seed order).
    public static func sameInitialization(_ scratch: [String]) -> [RunPair] {
        unordered(scratch).map { RunPair(.scratchSameInitPair, $0.0, $0.1) }
    }

    /// Each run with its own start (its epoch-0 checkpoint): P-T runs, RI-T runs, and RI-T runs
    /// from the shared initialization.
    public static func starts(fineTuned: [String], scratch: [String], sameInitialization: [String] = []) -> [RunPair] {
        fineTuned.map { RunPair(.fineTunedAndStart, $0, "start") }
            + scratch.map { RunPair(.scratchAndStart, $0, "start") }
            + sameInitialization.map { RunPair(.scratchSameInitAndStart, $0, "start") }
    }
}
