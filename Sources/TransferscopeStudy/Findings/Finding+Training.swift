import Foundation
import TransferscopeAnalysis
import TransferscopeExperiments
import TransferscopeOptimizers
import TransferscopeStatistics
import TransferscopeTraining

extension Finding {
    /// Spearman's rank correlation of `x` and `y` (average ranks for ties); NaN when either is constant.
    static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        func ranks(_ v: [Double]) -> [Double] {
            let order = v.indices.sorted { v[$0] < v[$1] }
            var result = [Double](repeating: 0, count: v.count)
            var i = 0
            while i < order.count {
                var j = i
                while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
                for k in i...j { result[order[k]] = Double(i + j) / 2 }
                i = j + 1
            }
            return result
        }
        let (rx, ry) = (ranks(x), ranks(y))
        let (mx, my) = (mean(rx), mean(ry))
        let covariance = zip(rx, ry).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let (sx, sy) = (rx.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }, ry.reduce(0) { $0 + ($1 - my) * ($1 - my) })
        return sx > 0 && sy > 0 ? covariance / (sx * sy).squareRoot() : .nan
    }

    /// For P-T, deeper modules are more critical: per P-T run, the rank correlation of a body
    /// module's depth (stem first; the head left out, it is always critical) with the training
    /// error its rewinding adds; the mean over seeds with a t interval, predicted > 0.
    static func moduleCriticality(_ t: StudyResults.Target) -> Finding {
        guard let c = t.criticality else { return missing(.moduleCriticality, t, "the criticality analysis") }
        func trend(_ result: ModuleCriticality) -> Double {
            let body = result.modules.filter { $0.name != "fc" }
            return spearman(body.indices.map(Double.init), body.map { $0.rewindError - result.finalError })
        }
        // A run whose rewind errors are all equal has no trend: it counts as 0, not as missing.
        let ptRaw = c.filter { $0.kind == .fineTuned }.map { trend($0.value) }
        let pt = ptRaw.map { $0.isFinite ? $0 : 0 }
        let rit = c.filter { $0.kind == .scratch }.map { trend($0.value) }.map { $0.isFinite ? $0 : 0 }
        guard !pt.isEmpty else { return missing(.moduleCriticality, t, "a P-T run's criticality") }
        let estimate = Estimates.mean(pt)
        let f = { (x: Double) in String(format: "%.2f", x) }
        return judged(
            .moduleCriticality, t, estimate: estimate, predicted: .greater, unit: "seeds", scale: "rank correlation",
            evidence: "rank correlation of module depth with the error its rewinding adds: P-T \(f(estimate.effect)) "
                + "(95% CI \(f(estimate.interval.lower)) to \(f(estimate.interval.upper))), n = \(pt.count) runs, t"
                + (rit.isEmpty ? "" : "; RI-T \(f(mean(rit))) (n = \(rit.count))")
                + (ptRaw.contains { !$0.isFinite } ? "; runs whose rewinding errors were all equal count as 0" : "")
                + ". Rewinding a module restores its BatchNorm statistics too (for P-T, those of the source "
                + "data), which weighs on the lower modules")
    }

    /// The source epoch where its last plateau starts: the epoch after a step schedule's last
    /// milestone (the first checkpoint trained at the lowest rate); otherwise
    /// the first epoch from which P's test accuracy stays within two standard errors of its final
    /// value (nil when only the last epoch does: no plateau before the end).
    static func plateauStart(_ c: AssessmentContext) -> Int? {
        let accuracies = c.sourceCurve.map { $0[1] }
        guard let final = accuracies.last, accuracies.count > 1 else { return nil }
        if c.source.schedule == .step {
            // The rate drops once the epoch reaches the milestone, so the checkpoint after that epoch
            // is the first with low-rate training in it: the start of the last plateau.
            return (c.source.milestones ?? LearningRateSchedule.defaultMilestones(epochs: c.source.epochs)).max()
                .map { $0 + 1 }
        }
        let n = Double(max(c.sourceTestImages ?? 1_000, 1))
        let tolerance = 2 * (final * (1 - final) / n).squareRoot()
        guard
            let start = accuracies.indices.first(where: { i in accuracies[i...].allSatisfy { $0 >= final - tolerance } }
            )
        else { return nil }
        return start < accuracies.count - 1 ? start : nil
    }

    /// An earlier checkpoint does as well as the last: the first kept checkpoint at or after the
    /// start of the source's last plateau against the last one, P-T's final accuracy paired over
    /// seeds, equivalent within two standard errors of a difference of accuracies (TOST at 5%);
    /// and the random initialization (epoch 0) clearly worse than the last.
    static func earlierCheckpoint(_ t: StudyResults.Target, _ c: AssessmentContext) -> Finding {
        guard let s = t.checkpoints else { return missing(.earlierCheckpoint, t, "the checkpoint-choice experiment") }
        let epochs = Array(Set(s.runs.compactMap { Int($0.setting) })).sorted()
        guard let last = epochs.last, epochs.count >= 2 else {
            return missing(.earlierCheckpoint, t, "two or more source checkpoints")
        }
        guard let plateau = plateauStart(c) else {
            return missing(
                .earlierCheckpoint, t, "a plateau before the source's last epoch (its accuracy rose to the end)")
        }
        guard let candidate = epochs.first(where: { $0 >= plateau && $0 < last }) else {
            return missing(
                .earlierCheckpoint, t, "a kept checkpoint between the plateau's start (epoch \(plateau)) and the last")
        }
        func accuracies(_ epoch: Int) -> [UInt64: Double] {
            Dictionary(s.runs.filter { $0.setting == "\(epoch)" }.map { ($0.seed, $0.finalTestAccuracy) }) { a, _ in a }
        }
        let (early, final) = (accuracies(candidate), accuracies(last))
        let seeds = early.keys.filter { final[$0] != nil }.sorted()
        guard !seeds.isEmpty else { return missing(.earlierCheckpoint, t, "seeds run from both checkpoints") }
        let difference = Estimates.pairedDifference(
            seeds.compactMap { early[$0] }, seeds.compactMap { final[$0] }, level: 0.90)
        let accuracy = mean(seeds.compactMap { final[$0] })
        // Two standard errors of a difference of two accuracies on this test set
        // (`Equivalence.accuracyMargin`), at least one image's worth; an unknown accuracy sets none.
        let images = max(t.testImages, 1)
        let margin =
            accuracy.isFinite && (0...1).contains(accuracy)
            ? max(Equivalence.accuracyMargin(testImages: images, accuracy: accuracy), 1 / Double(images)) : .nan
        var finding = judged(
            .earlierCheckpoint, t, estimate: difference, predicted: .equivalent(margin: margin), unit: "seeds",
            scale: "accuracy",
            evidence: "P-T from source epoch \(candidate) (the plateau starts at \(plateau)) minus from epoch \(last): "
                + "\(points(difference.effect)) (90% CI \(points(difference.interval.lower)) to "
                + "\(points(difference.interval.upper))) against a margin of \(points(margin)), n = \(seeds.count) "
                + "seeds, paired TOST")
        if epochs.first == 0 {
            let random = accuracies(0)
            let both = random.keys.filter { final[$0] != nil }.sorted()
            let worse = Estimates.pairedDifference(both.compactMap { final[$0] }, both.compactMap { random[$0] })
            let (worseVerdict, worseReason) = TransferscopeStatistics.verdict(worse, predicted: .greater)
            finding.evidence +=
                "; from the random initialization (epoch 0) it is \(points(worse.effect)) worse (95% CI "
                + "\(points(worse.interval.lower)) to \(points(worse.interval.upper))): \(worseVerdict.rawValue)"
            // The claim needs both: the plateau's checkpoint as good as the last, and the random
            // start clearly worse (else the target does not depend on the source at all).
            if finding.verdict == .holds && worseVerdict != .holds {
                finding.verdict = .inconclusive
                finding.reason += "; but epoch 0 is not shown worse than the last (\(worseReason))"
            }
        }
        return finding
    }
}
