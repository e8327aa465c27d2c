import Foundation
import TransferscopeAnalysis
import TransferscopeExperiments
import TransferscopeStatistics
import TransferscopeTraining

/// What the findings read besides a target's results: the study's seeds, P's input side and
/// learning curve, and the source's schedule.
struct AssessmentContext {
    /// The replicate seeds, in the study's order.
    var seeds: [UInt64]
    /// The side of P's input (the block size of "no shuffle").
    var side: Int?
    /// P's test accuracy after every epoch: [step, accuracy].
    var sourceCurve: [[Double]]
    /// The source's schedule and milestones (a step schedule's last milestone starts its last plateau).
    var source: Study.Source
    /// Images in the source's test split (for the plateau's tolerance), if known.
    var sourceTestImages: Int?
    /// The analyses of each target that names its own (`Study.Target.analyses`), by target name:
    /// the claims of the analyses it leaves out are not assessed on it.
    var targetAnalyses: [String: [Study.AnalysisName]] = [:]
}

extension Finding {
    /// Assesses every claim on every target, then the claims across targets. On each target the
    /// gating claim comes first; where pre-training does not measurably help, every other claim
    /// of that target is inconclusive, saying so.
    static func assess(_ targets: [StudyResults.Target], context: AssessmentContext) -> [Finding] {
        perTarget(targets, context: context) + crossTarget(targets, context: context)
    }

    /// Every claim on each target, the gate first.
    static func perTarget(_ targets: [StudyResults.Target], context: AssessmentContext) -> [Finding] {
        targets.flatMap { target in
            let gate = pretrainingHelps(target, context)
            let others = [
                featureReuse(target, context), lowLevelStatistics(target, context), similarMistakes(target),
                ambiguousMistakes(target), featureSimilarity(target), parameterCloseness(target),
                performanceBarriers(target), moduleCriticality(target), earlierCheckpoint(target, context),
            ]
            let chosen =
                context.targetAnalyses[target.name].map { names in
                    others.filter { $0.claim.analysis.map(names.contains) ?? true }
                } ?? others
            guard gate.verdict != .holds else { return [gate] + chosen }
            return [gate]
                + chosen.map { finding in
                    var gated = finding
                    gated.verdict = .inconclusive
                    gated.reason =
                        "nothing measurable was transferred to this target (the gate is \(gate.verdict.rawValue)); "
                        + "without it: \(finding.verdict.rawValue), \(finding.reason)"
                    return gated
                }
        }
    }

    /// The final test accuracy of the run of `kind` ("PT", "RIT") and `seed` on target `t`.
    static func finalAccuracy(_ t: StudyResults.Target, _ kind: String, _ seed: UInt64) -> Double? {
        t.finalAccuracy["\(t.name)/\(kind)-s\(seed)"]
    }

    /// The mean test accuracy over the epochs after the start (the area under the learning
    /// curve): higher means the run learned sooner.
    static func area(_ t: StudyResults.Target, _ kind: String, _ seed: UInt64) -> Double? {
        guard let curve = t.curves.first(where: { $0.run == "\(t.name)/\(kind)-s\(seed)" }), curve.points.count > 1
        else { return nil }
        return mean(curve.points.dropFirst().map { $0[1] })
    }

    /// The gate: P-T minus RI-T in final accuracy and in the area under the learning curve,
    /// each paired over seeds. Holds when either advantage holds (two one-sided 2.5% tests, so at
    /// most about 5% false "holds" under no effect: tested by simulation); does not hold when both
    /// are shown reversed; else inconclusive.
    static func pretrainingHelps(_ t: StudyResults.Target, _ c: AssessmentContext) -> Finding {
        let seeds = c.seeds.filter { finalAccuracy(t, "PT", $0) != nil && finalAccuracy(t, "RIT", $0) != nil }
        guard !seeds.isEmpty else { return missing(.pretrainingHelps, t, "a P-T and RI-T run per seed") }
        let accuracy = Estimates.pairedDifference(
            seeds.compactMap { finalAccuracy(t, "PT", $0) }, seeds.compactMap { finalAccuracy(t, "RIT", $0) })
        let curved = seeds.filter { area(t, "PT", $0) != nil && area(t, "RIT", $0) != nil }
        let speed = Estimates.pairedDifference(
            curved.compactMap { area(t, "PT", $0) }, curved.compactMap { area(t, "RIT", $0) })
        let (accuracyVerdict, accuracyReason) = TransferscopeStatistics.verdict(accuracy, predicted: .greater)
        let (speedVerdict, speedReason) = TransferscopeStatistics.verdict(speed, predicted: .greater)
        let evidence =
            "P-T minus RI-T: final accuracy \(points(accuracy.effect)) "
            + "(95% CI \(points(accuracy.interval.lower)) to \(points(accuracy.interval.upper))); area under the "
            + "learning curve \(points(speed.effect)) (\(points(speed.interval.lower)) to "
            + "\(points(speed.interval.upper))); n = \(seeds.count) seeds (\(curved.count) with curves), paired t"
        var finding = judged(
            .pretrainingHelps, t, estimate: accuracy, predicted: .greater, unit: "seeds", scale: "accuracy",
            evidence: evidence)
        if accuracyVerdict == .holds || speedVerdict == .holds {
            finding.verdict = .holds
            finding.reason = accuracyVerdict == .holds ? "accuracy: \(accuracyReason)" : "speed: \(speedReason)"
            if accuracyVerdict != .holds { finding.estimate = speed }
        } else if accuracyVerdict == .doesNotHold || speedVerdict == .doesNotHold {
            finding.verdict =
                accuracyVerdict == .inconclusive || speedVerdict == .inconclusive
                ? .inconclusive
                : .doesNotHold
            finding.reason = "accuracy: \(accuracyReason); speed: \(speedReason)"
        } else {
            finding.reason = "accuracy: \(accuracyReason); speed: \(speedReason)"
        }
        return finding
    }
}
