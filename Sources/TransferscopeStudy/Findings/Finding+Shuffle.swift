import Foundation
import TransferscopeExperiments
import TransferscopeStatistics
import TransferscopeTraining

extension Finding {
    /// The run of the shuffle sweep for `setting`, `kind` and `seed`.
    static func run(_ s: ExperimentResult, _ setting: String, _ kind: TransferKind, _ seed: UInt64) -> RunOutcome? {
        s.runs.first { $0.setting == setting && $0.kind == kind && $0.seed == seed }
    }

    /// Whether a run was still learning at its end: its last epoch raised test accuracy by more
    /// than 1 point (a shuffle run too short to converge understates its final accuracy).
    static func stillLearning(_ run: RunOutcome) -> Bool {
        guard run.curve.count >= 3 else { return false }
        return run.curve[run.curve.count - 1][1] - run.curve[run.curve.count - 2][1] > 0.01
    }

    /// Feature reuse (analysis 1): per shuffle seed, P-T's advantage over RI-T without shuffling
    /// (b = the image side) minus its advantage at b = 1; the paper predicts it shrinks (> 0).
    static func featureReuse(_ t: StudyResults.Target, _ c: AssessmentContext) -> Finding {
        guard let s = t.shuffle, let side = c.side else { return missing(.featureReuse, t, "the block-shuffle sweep") }
        let (full, finest) = ("b\(side)", "b1")
        let seeds = Array(Set(s.runs.map(\.seed))).sorted().filter { seed in
            [full, finest].allSatisfy { setting in
                TransferKind.allCases.allSatisfy { run(s, setting, $0, seed) != nil }
            }
        }
        guard !seeds.isEmpty else {
            return missing(.featureReuse, t, "the sweep at b = \(side) (no shuffle) and b = 1 for both kinds")
        }
        func gap(_ setting: String, _ seed: UInt64) -> Double {
            (run(s, setting, .fineTuned, seed)?.finalTestAccuracy ?? .nan)
                - (run(s, setting, .fromScratch, seed)?.finalTestAccuracy ?? .nan)
        }
        let shrink = seeds.map { gap(full, $0) - gap(finest, $0) }
        let estimate = Estimates.mean(shrink)
        let unconverged = s.runs.filter {
            [full, finest].contains($0.setting) && seeds.contains($0.seed) && stillLearning($0)
        }.count
        var evidence =
            "P-T minus RI-T at b = \(side) (no shuffle) \(points(mean(seeds.map { gap(full, $0) }))), at b = 1 "
            + "\(points(mean(seeds.map { gap(finest, $0) }))); shrink \(points(estimate.effect)) (95% CI "
            + "\(points(estimate.interval.lower)) to \(points(estimate.interval.upper))), n = \(seeds.count) seeds, t"
        if unconverged > 0 {
            evidence += "; \(unconverged) of these runs still gained over a point in their last epoch (not converged)"
        }
        return judged(
            .featureReuse, t, estimate: estimate, predicted: .greater, unit: "seeds", scale: "accuracy",
            evidence: evidence)
    }

    /// Low-level statistics: at b = 1 (no visual structure left), the steps each run needs to
    /// bring its training loss down to a threshold every run reaches (the highest final loss of
    /// the runs); RI-T's steps minus P-T's, paired over seeds: the paper predicts P-T is faster (> 0).
    static func lowLevelStatistics(_ t: StudyResults.Target, _ c: AssessmentContext) -> Finding {
        guard let s = t.shuffle else { return missing(.lowLevelStatistics, t, "the block-shuffle sweep") }
        let seeds = Array(Set(s.runs.map(\.seed))).sorted().filter { seed in
            TransferKind.allCases.allSatisfy { run(s, "b1", $0, seed)?.trainLoss?.isEmpty == false }
        }
        guard !seeds.isEmpty else {
            return missing(.lowLevelStatistics, t, "the training-loss curves of the sweep at b = 1")
        }
        let runs = seeds.flatMap { seed in TransferKind.allCases.compactMap { run(s, "b1", $0, seed) } }
        let threshold = runs.compactMap { $0.trainLoss?.last?[1] }.max() ?? .nan
        func steps(_ kind: TransferKind, _ seed: UInt64) -> Double {
            let curve = run(s, "b1", kind, seed)?.trainLoss ?? []
            return curve.first { $0[1] <= threshold }?[0] ?? .nan
        }
        let estimate = Estimates.pairedDifference(
            seeds.map { steps(.fromScratch, $0) }, seeds.map { steps(.fineTuned, $0) })
        let evidence =
            "steps to a training loss of \(String(format: "%.3f", threshold)) at b = 1: P-T "
            + "\(String(format: "%.0f", mean(seeds.map { steps(.fineTuned, $0) }))), RI-T "
            + "\(String(format: "%.0f", mean(seeds.map { steps(.fromScratch, $0) }))); RI-T minus P-T "
            + "\(String(format: "%.0f", estimate.effect)) steps (95% CI "
            + "\(String(format: "%.0f", estimate.interval.lower))"
            + " to \(String(format: "%.0f", estimate.interval.upper))), n = \(seeds.count) seeds, paired t"
        var finding = judged(
            .lowLevelStatistics, t, estimate: estimate, predicted: .greater, unit: "seeds", scale: "steps",
            evidence: evidence)
        // Steps are known only at the metrics lines: equal differences on every seed are the logging
        // resolution, not a measured certainty, so a zero-width interval decides nothing.
        if seeds.count >= 2, estimate.interval.lower == estimate.interval.upper {
            finding.verdict = .inconclusive
            finding.reason = "every seed gives the same difference at the logging resolution; no spread to judge"
        }
        return finding
    }
}
