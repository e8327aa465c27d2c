import Foundation
import TransferscopeStatistics

/// One claim of the paper checked on one target: the effect in the claim's direction with its
/// interval (95%; 90% for an equivalence claim, a 5% TOST) and n, the test, the margin of a "no
/// difference" claim, and a verdict by the one rule of `TransferscopeStatistics.verdict` (holds
/// when the interval excludes 0 in the predicted direction, does not hold when it excludes 0 the
/// other way, else inconclusive, with the reason).
public struct Finding: Codable, Sendable, Equatable {
    /// The paper's claims, in the order of the scorecard; the raw value is the claim as the report states it.
    public enum Claim: String, Codable, Sendable, CaseIterable {
        /// The gate: P-T beats RI-T on this target at all (accuracy or speed); without it, nothing
        /// measurable was transferred and the other verdicts cannot be evidence.
        case pretrainingHelps = "Pre-training helps here: P-T beats RI-T in final accuracy or training speed"
        /// Block shuffling hurts P-T more than RI-T (feature reuse).
        case featureReuse = "Feature reuse: P-T's advantage over RI-T shrinks when the target is block-shuffled"
        /// P-T trains faster even at block size 1 (low-level statistics).
        case lowLevelStatistics = "Low-level statistics: even at block size 1, P-T optimizes faster than RI-T"
        /// Two P-T models agree on their mistakes more than two RI-T models.
        case similarMistakes = "Two P-T models make similar mistakes; two RI-T models diverse ones"
        /// P-T's mistakes that RI-T avoids are ambiguous samples.
        case ambiguousMistakes = "P-T's mistakes that RI-T gets right are ambiguous samples"
        /// P-T models are alike in their features.
        case featureSimilarity = "P-T models are similar to each other in their features (CKA)"
        /// P-T models are close in parameter space.
        case parameterCloseness = "P-T models are close to each other in parameters"
        /// P-T solutions share a basin; RI-T solutions do not.
        case performanceBarriers = "No performance barrier between P-T solutions; a barrier between RI-T solutions"
        /// Deeper modules are more critical than lower ones for P-T.
        case moduleCriticality = "For P-T, deeper modules are more critical than lower ones"
        /// An earlier source checkpoint transfers as well as the last.
        case earlierCheckpoint = "A checkpoint from the start of the source's last plateau does as well as the last"
        /// Across targets: the closer the target, the more P-T gains over RI-T.
        case benefitGrowsWithCloseness =
            "Across targets: P-T's gain over RI-T in final accuracy grows as the target gets closer to the source"
        /// Across targets: block shuffling costs P-T more of its advantage on closer targets (feature reuse).
        case reuseGrowsWithCloseness =
            "Across targets: block shuffling takes more of P-T's advantage on closer targets (feature reuse)"
        /// Across targets: the farthest target still gets P-T's speed at block size 1 (low-level statistics).
        case farTargetLowLevel =
            "Across targets: on the farthest target, P-T still optimizes faster than RI-T at block size 1"
    }

    /// Whether the claim held on this target; the raw value is the report's wording.
    public typealias Verdict = TransferscopeStatistics.Verdict

    /// The paper's claim checked.
    public var claim: Claim
    /// The target's name in the study (`StudyPlan.targetName`, e.g. `clipart`).
    public var target: String
    /// Holds, does not hold, or inconclusive.
    public var verdict: Verdict
    /// Why the verdict is what it is, in words (the interval against 0 or the margin, and n).
    public var reason: String
    /// The numbers behind the verdict, as one sentence for the report.
    public var evidence: String
    /// The effect in the claim's direction (positive supports the claim), with its interval and n;
    /// nil when the analysis did not run.
    public var estimate: Estimate?
    /// What n counts (seeds, pairs of runs, test images).
    public var unit: String?
    /// The unit of the effect (points of accuracy, steps, CKA, ...), for the forest plot's axis.
    public var scale: String?
    /// The margin of an equivalence ("no difference") claim, in the effect's units.
    public var margin: Double?

    /// A finding whose verdict follows `estimate` by the one rule.
    static func judged(
        _ claim: Claim, _ target: StudyResults.Target, estimate: Estimate, predicted: Prediction, unit: String,
        scale: String, evidence: String
    ) -> Finding {
        let (verdict, reason) = TransferscopeStatistics.verdict(estimate, predicted: predicted)
        var margin: Double?
        if case .equivalent(let m) = predicted { margin = m }
        return Finding(
            claim: claim, target: target.name, verdict: verdict, reason: reason, evidence: evidence,
            estimate: estimate, unit: unit, scale: scale, margin: margin)
    }

    /// An inconclusive finding because `what` is missing from the study.
    static func missing(_ claim: Claim, _ target: StudyResults.Target, _ what: String) -> Finding {
        Finding(
            claim: claim, target: target.name, verdict: .inconclusive, reason: "\(what) is not in this study",
            evidence: "-", estimate: nil, unit: nil, scale: nil, margin: nil)
    }

    /// `x` as a percentage with one decimal.
    static func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }

    /// `x` in points of accuracy with one decimal (0.023 -> "2.3 points").
    static func points(_ x: Double) -> String { String(format: "%.1f points", 100 * x) }

    /// The mean of `values` (NaN when empty).
    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }
}

extension Finding.Claim {
    /// The analysis a per-target claim reads, or nil for the claims that read the runs alone (the
    /// gate) and those across targets: a target that leaves the analysis out is not assessed on it.
    var analysis: Study.AnalysisName? {
        switch self {
        case .featureReuse, .lowLevelStatistics: .shuffle
        case .similarMistakes, .ambiguousMistakes: .mistakes
        case .featureSimilarity: .cka
        case .parameterCloseness: .distances
        case .performanceBarriers: .interpolation
        case .moduleCriticality: .criticality
        case .earlierCheckpoint: .checkpoints
        case .pretrainingHelps, .benefitGrowsWithCloseness, .reuseGrowsWithCloseness, .farTargetLowLevel: nil
        }
    }
}
