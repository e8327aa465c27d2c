import Foundation
import TransferscopeAnalysis
import TransferscopeStatistics

/// The paper's claims that compare targets: what changes with the distance from the source.
extension Finding {
    /// The name the cross-target findings carry where the others carry a target's.
    public static let acrossTargets = "across targets"

    /// Targets needed for a trend over distance: two points always lie on a line.
    static let targetsForTrend = 3

    /// The targets with a measured domain distance, closest first (ties keep the study's order).
    static func closestFirst(_ targets: [StudyResults.Target]) -> [StudyResults.Target] {
        targets.enumerated()
            .compactMap { index, target in target.domain.map { (index, $0.frechet, target) } }
            .filter { $0.1.isFinite }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
            .map(\.2)
    }

    /// The cross-target findings: the benefit of P-T grows as the target gets closer, so does the
    /// loss of that benefit under block shuffling (feature reuse), and the speed advantage at
    /// b = 1 remains on the farthest target (low-level statistics).
    static func crossTarget(_ targets: [StudyResults.Target], context: AssessmentContext) -> [Finding] {
        let ordered = closestFirst(targets)
        return [
            trendOverCloseness(
                .benefitGrowsWithCloseness, ordered,
                values: { t in
                    context.seeds.compactMap { seed in
                        guard let pt = finalAccuracy(t, "PT", seed), let rit = finalAccuracy(t, "RIT", seed) else {
                            return nil
                        }
                        return pt - rit
                    }
                },
                what: "P-T minus RI-T in final accuracy"),
            trendOverCloseness(
                .reuseGrowsWithCloseness, ordered, values: { t in shuffleShrinks(t, context) },
                what: "the shrink of P-T's advantage from no shuffle to b = 1"),
            farthestTargetSpeed(ordered, context),
        ]
    }

    /// Per seed of `t`'s shuffle sweep: P-T minus RI-T at b = side (no shuffle) minus the same at b = 1.
    static func shuffleShrinks(_ t: StudyResults.Target, _ c: AssessmentContext) -> [Double] {
        guard let s = t.shuffle, let side = c.side else { return [] }
        return Array(Set(s.runs.map(\.seed))).sorted().compactMap { seed in
            guard let ptFull = run(s, "b\(side)", .fineTuned, seed),
                let ritFull = run(s, "b\(side)", .fromScratch, seed),
                let ptFine = run(s, "b1", .fineTuned, seed), let ritFine = run(s, "b1", .fromScratch, seed)
            else { return nil }
            return (ptFull.finalTestAccuracy - ritFull.finalTestAccuracy)
                - (ptFine.finalTestAccuracy - ritFine.finalTestAccuracy)
        }
    }

    /// A finding about a trend over targets ordered closest first: the least-squares line of
    /// `values` (per seed) over the targets' distances, its rise from the farthest to the closest
    /// target with a Welch-Satterthwaite t interval (`Estimates.linearCombination`: targets are
    /// independent groups of seeds), predicted > 0. Every target weighs by its distance from the
    /// mean distance (a target at the mean adds nothing to a slope); whether the targets' means
    /// are in order is stated beside the verdict. The distances are taken as known (their own
    /// intervals are in the report).
    static func trendOverCloseness(
        _ claim: Claim, _ ordered: [StudyResults.Target], values: (StudyResults.Target) -> [Double], what: String
    ) -> Finding {
        let measured = ordered.filter { values($0).count >= 2 }
        guard measured.count >= targetsForTrend else {
            return Finding(
                claim: claim, target: acrossTargets, verdict: .inconclusive,
                reason: "a trend needs \(targetsForTrend) or more targets with a measured distance and two or more "
                    + "seeds of \(what); this study has \(measured.count)",
                evidence: "-", estimate: nil, unit: nil, scale: nil, margin: nil)
        }
        let groups = measured.map(values)
        // Closeness = minus the distance: the line rises from the farthest (smallest) to the closest.
        let closeness = measured.map { -($0.domain?.frechet ?? .nan) }
        let estimate = Estimates.linearCombination(groups, weights: Estimates.trendWeights(closeness))
        let means = groups.map(mean)
        let listed = zip(measured, means).map { target, value in
            "\(target.name) (distance \(String(format: "%.3g", target.domain?.frechet ?? .nan))) \(points(value))"
        }
        let ordering = zip(means, means.dropFirst()).allSatisfy { $0 >= $1 } ? "in order" : "not in order"
        let evidence =
            "\(what), closest target first: \(listed.joined(separator: ", ")) (\(ordering)); the fitted rise from "
            + "the farthest to the closest \(points(estimate.effect)) (95% CI \(points(estimate.interval.lower)) to "
            + "\(points(estimate.interval.upper))), n = \(estimate.n) seeds over \(measured.count) targets, "
            + "Welch-Satterthwaite t on the least-squares trend over the distances"
        let (verdict, reason) = TransferscopeStatistics.verdict(estimate, predicted: .greater)
        return Finding(
            claim: claim, target: acrossTargets, verdict: verdict, reason: reason, evidence: evidence,
            estimate: estimate, unit: "seeds", scale: "accuracy", margin: nil)
    }

    /// Low-level statistics survive distance: the low-level-statistics claim on the farthest
    /// target (RI-T's steps to the common training loss at b = 1 minus P-T's, paired over seeds),
    /// gated like every claim on that target by pre-training helping there.
    static func farthestTargetSpeed(_ ordered: [StudyResults.Target], _ c: AssessmentContext) -> Finding {
        guard ordered.count >= targetsForTrend, let farthest = ordered.last else {
            return Finding(
                claim: .farTargetLowLevel, target: acrossTargets, verdict: .inconclusive,
                reason: "the farthest of \(targetsForTrend) or more targets with a measured distance is needed; this "
                    + "study has \(ordered.count)",
                evidence: "-", estimate: nil, unit: nil, scale: nil, margin: nil)
        }
        var finding = lowLevelStatistics(farthest, c)
        finding.claim = .farTargetLowLevel
        finding.target = acrossTargets
        finding.evidence =
            "on \(farthest.name), the farthest target (distance "
            + "\(String(format: "%.3g", farthest.domain?.frechet ?? .nan))): " + finding.evidence
        // As on the target itself: where nothing measurable was transferred, there is nothing to explain.
        let gate = pretrainingHelps(farthest, c)
        if gate.verdict != .holds {
            finding.reason =
                "nothing measurable was transferred to \(farthest.name) (its gate is \(gate.verdict.rawValue)); "
                + "without it: \(finding.verdict.rawValue), \(finding.reason)"
            finding.verdict = .inconclusive
        }
        return finding
    }
}
