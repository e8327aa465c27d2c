import Foundation
import TransferscopeAnalysis
import TransferscopeExperiments
import TransferscopeTraining

/// One claim of the paper checked on one target: the numbers, their range over seeds, and an
/// honest verdict. "Inconclusive" when the analysis did not run, or the difference is smaller
/// than the spread over seeds.
public struct Finding: Codable, Sendable, Equatable {
    /// Whether the claim held on this target; the raw value is the report's wording.
    public enum Verdict: String, Codable, Sendable {
        case holds
        case doesNotHold = "does not hold"
        case inconclusive
    }

    /// The paper's claim checked.
    public var claim: Claim
    /// The target's name in the study (`StudyPlan.targetName`, e.g. `clipart`).
    public var target: String
    /// The numbers behind the verdict, as one sentence for the report.
    public var evidence: String
    /// Holds, does not hold, or inconclusive (not run, or the difference within the seed spread).
    public var verdict: Verdict

    /// The paper's claims, in the order of the scorecard; the raw value is the claim as the report states it.
    public enum Claim: String, Codable, Sendable, CaseIterable {
        /// Block shuffling hurts P-T more than RI-T (feature reuse).
        case featureReuse = "Feature reuse: P-T loses more than RI-T when the target is block-shuffled"
        /// P-T trains faster even at block size 1 (low-level statistics).
        case lowLevelStatistics = "Low-level statistics: even at block size 1, P-T trains faster than RI-T"
        /// P-T's mistakes that RI-T avoids are ambiguous samples.
        case ambiguousMistakes = "P-T's mistakes that RI-T gets right are ambiguous samples"
        /// P-T models are alike in their features.
        case featureSimilarity = "P-T models are similar to each other in their features (CKA)"
        /// P-T models are close in parameter space.
        case parameterCloseness = "P-T models are close to each other in parameters"
        /// P-T solutions share a basin; RI-T solutions do not.
        case performanceBarriers = "No performance barrier between P-T solutions; a barrier between RI-T solutions"
        /// Deeper modules are more critical than lower ones for P-T.
        case moduleCriticality = "Deeper modules are more critical; P-T's lower layers are not"
        /// An earlier source checkpoint transfers as well as the last.
        case earlierCheckpoint = "An earlier source checkpoint does as well as the last"
    }

    static func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
    static func range(_ values: [Double], _ format: (Double) -> String) -> String {
        guard let low = values.min(), let high = values.max() else { return "-" }
        return values.count > 1 ? "\(format(low))-\(format(high))" : format(low)
    }
    static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
    }

    /// Assesses every claim on every target.
    static func assess(_ targets: [StudyResults.Target]) -> [Finding] {
        targets.flatMap { target in
            [
                featureReuse(target), lowLevel(target), ambiguity(target), featureSimilarity(target),
                parameterDistance(target),
                barriers(target), criticality(target), checkpoint(target),
            ]
        }
    }

    static func missing(_ claim: Claim, _ target: StudyResults.Target, _ analysis: String) -> Finding {
        Finding(
            claim: claim, target: target.name, evidence: "the \(analysis) analysis did not run in this study",
            verdict: .inconclusive)
    }

    /// Accuracies per seed of one (setting, kind) of an experiment.
    static func accuracies(_ result: ExperimentResult, setting: String, kind: TransferKind) -> [Double] {
        result.runs.filter { $0.setting == setting && $0.kind == kind }.map(\.finalTestAccuracy)
    }

    static func featureReuse(_ t: StudyResults.Target) -> Finding {
        guard let s = t.shuffle, let full = s.runs.map(\.setting).first(where: { $0.hasPrefix("b") }),
            s.runs.contains(where: { $0.setting == "b1" })
        else { return missing(.featureReuse, t, "block-shuffle (with the full side and b = 1)") }
        func drops(_ kind: TransferKind) -> [Double] {
            zip(accuracies(s, setting: full, kind: kind), accuracies(s, setting: "b1", kind: kind)).map { $0 - $1 }
        }
        let (pt, rit) = (drops(.fineTuned), drops(.fromScratch))
        let verdict: Verdict =
            (pt.min() ?? 0) > (rit.max() ?? 0) ? .holds : (mean(pt) < mean(rit) - 0.01 ? .doesNotHold : .inconclusive)
        return Finding(
            claim: .featureReuse, target: t.name,
            evidence:
                "accuracy lost from \(full) (no shuffle) to b1: P-T \(percent(mean(pt))) (seeds "
                + "\(range(pt, percent))), RI-T \(percent(mean(rit))) (seeds \(range(rit, percent)))",
            verdict: verdict)
    }

    static func lowLevel(_ t: StudyResults.Target) -> Finding {
        guard let s = t.shuffle, s.runs.contains(where: { $0.setting == "b1" }) else {
            return missing(.lowLevelStatistics, t, "block-shuffle (b = 1)")
        }
        // Training speed as the mean test accuracy over the epochs after the start (the area under
        // the learning curve): higher means it learned sooner. Steps to 90% are shown too, but are
        // quantized to epochs.
        func areas(_ kind: TransferKind) -> [Double] {
            s.runs.filter { $0.setting == "b1" && $0.kind == kind }.map { run in
                mean(run.curve.dropFirst().map { $0[1] })
            }
        }
        func steps(_ kind: TransferKind) -> [Double] {
            s.runs.filter { $0.setting == "b1" && $0.kind == kind }.compactMap { $0.stepsToFraction.map(Double.init) }
        }
        let (pt, rit) = (areas(.fineTuned), areas(.fromScratch))
        guard !pt.isEmpty, !rit.isEmpty, pt.allSatisfy(\.isFinite), rit.allSatisfy(\.isFinite) else {
            return missing(.lowLevelStatistics, t, "block-shuffle (learning curves at b1)")
        }
        let verdict: Verdict =
            (pt.min() ?? .nan) > (rit.max() ?? .nan)
            ? .holds : ((pt.max() ?? .nan) < (rit.min() ?? .nan) ? .doesNotHold : .inconclusive)
        let (ps, rs) = (steps(.fineTuned), steps(.fromScratch))
        return Finding(
            claim: .lowLevelStatistics, target: t.name,
            evidence:
                "mean test accuracy over the epochs at b1 (area under the learning curve): P-T "
                + "\(percent(mean(pt))) (seeds \(range(pt, percent))), RI-T \(percent(mean(rit))) (seeds "
                + "\(range(rit, percent))); steps to 90% of final: P-T "
                + "\(range(ps) { String(format: "%.0f", $0) }), RI-T \(range(rs) { String(format: "%.0f", $0) })",
            verdict: verdict)
    }

    static func ambiguity(_ t: StudyResults.Target) -> Finding {
        guard let m = t.mistakes else { return missing(.ambiguousMistakes, t, "mistakes") }
        let pairs = m.pairs.filter { $0.kind == .fineTunedAndScratch }
        let ptWrong = pairs.compactMap { $0.value.meanAmbiguity[2] }
        let ptRight = pairs.compactMap { $0.value.meanAmbiguity[1] }
        let bothRight = pairs.compactMap { $0.value.meanAmbiguity[0] }
        guard !ptWrong.isEmpty, !ptRight.isEmpty else {
            return missing(.ambiguousMistakes, t, "mistakes (cells with samples)")
        }
        let differences = zip(ptWrong, ptRight).map { $0 - $1 }
        let verdict: Verdict =
            differences.allSatisfy({ $0 > 0 }) && mean(ptWrong) > mean(bothRight)
            ? .holds
            : (differences.allSatisfy { $0 < 0 } ? .doesNotHold : .inconclusive)
        let f = { (x: Double) in String(format: "%.3f", x) }
        return Finding(
            claim: .ambiguousMistakes, target: t.name,
            evidence:
                "mean ambiguity (entropy of the models' mean prediction, nats) of samples only RI-T gets right "
                + "\(f(mean(ptWrong))) vs only P-T gets right \(f(mean(ptRight))) and both right "
                + "\(f(mean(bothRight))); over \(pairs.count) seed pair(s)",
            verdict: verdict)
    }

    static func featureSimilarity(_ t: StudyResults.Target) -> Finding {
        guard let cka = t.cka else { return missing(.featureSimilarity, t, "CKA") }
        func layerMean(_ kind: PairKind) -> [Double] {
            cka.filter { $0.kind == kind }.map { mean($0.value.diagonal().map(\.value)) }
        }
        let (pt, rit, cross) = (layerMean(.fineTunedPair), layerMean(.scratchPair), layerMean(.fineTunedAndScratch))
        guard !pt.isEmpty, !rit.isEmpty, !cross.isEmpty else {
            return missing(.featureSimilarity, t, "CKA (with 2 seeds)")
        }
        let verdict: Verdict =
            (pt.min() ?? .nan) > max((rit.max() ?? .nan), (cross.max() ?? .nan))
            ? .holds : (mean(pt) < mean(rit) ? .doesNotHold : .inconclusive)
        let f = { (x: Double) in String(format: "%.3f", x) }
        return Finding(
            claim: .featureSimilarity, target: t.name,
            evidence:
                "CKA averaged over layers: P-T/P-T \(f(mean(pt))) (pairs \(range(pt, f))), RI-T/RI-T "
                + "\(f(mean(rit))) (\(range(rit, f))), P-T/RI-T \(f(mean(cross))) (\(range(cross, f)))",
            verdict: verdict)
    }

    static func parameterDistance(_ t: StudyResults.Target) -> Finding {
        guard let d = t.distances else { return missing(.parameterCloseness, t, "distance") }
        let pt = d.filter { $0.kind == .fineTunedPair }.map(\.value.total)
        let rit = d.filter { $0.kind == .scratchPair }.map(\.value.total)
        guard !pt.isEmpty, !rit.isEmpty else { return missing(.parameterCloseness, t, "distance (with 2 seeds)") }
        let verdict: Verdict =
            (pt.max() ?? .nan) < (rit.min() ?? .nan)
            ? .holds : ((pt.min() ?? .nan) > (rit.max() ?? .nan) ? .doesNotHold : .inconclusive)
        let f = { (x: Double) in String(format: "%.2f", x) }
        return Finding(
            claim: .parameterCloseness, target: t.name,
            evidence:
                "L2 distance between seeds: P-T/P-T \(f(mean(pt))) (pairs \(range(pt, f))), RI-T/RI-T "
                + "\(f(mean(rit))) (\(range(rit, f)))",
            verdict: verdict)
    }

    static func barriers(_ t: StudyResults.Target) -> Finding {
        guard let curves = t.interpolation else { return missing(.performanceBarriers, t, "interpolation") }
        let pt = curves.filter { $0.kind == .fineTunedPair }.map(\.value.testErrorBarrier.height)
        let rit = curves.filter { $0.kind == .scratchPair }.map(\.value.testErrorBarrier.height)
        guard !pt.isEmpty, !rit.isEmpty else { return missing(.performanceBarriers, t, "interpolation (with 2 seeds)") }
        let verdict: Verdict =
            (pt.max() ?? .nan) < 0.02 && (rit.min() ?? .nan) > max(2 * (pt.max() ?? .nan), 0.02)
            ? .holds
            : ((pt.min() ?? .nan) >= (rit.max() ?? .nan) ? .doesNotHold : .inconclusive)
        return Finding(
            claim: .performanceBarriers, target: t.name,
            evidence:
                "test-error barrier along the line (BatchNorm re-estimated): P-T/P-T \(percent(mean(pt))) "
                + "(pairs \(range(pt, percent))), RI-T/RI-T \(percent(mean(rit))) (\(range(rit, percent))); 'no "
                + "barrier' taken as under 2 points",
            verdict: verdict)
    }

    static func criticality(_ t: StudyResults.Target) -> Finding {
        guard let c = t.criticality, let pt = c.first(where: { $0.kind == .fineTuned }) else {
            return missing(.moduleCriticality, t, "criticality")
        }
        // Rewind errors over the body (stem and blocks; the head is always critical), lower half vs upper half.
        func halves(_ result: ModuleCriticality) -> (lower: Double, upper: Double) {
            let body = result.modules.filter { $0.name != "fc" }.map { $0.rewindError - result.finalError }
            let half = body.count / 2
            return (mean(Array(body.prefix(half))), mean(Array(body.suffix(body.count - half))))
        }
        let p = halves(pt.value)
        let rit = c.first(where: { $0.kind == .scratch }).map { halves($0.value) }
        let verdict: Verdict =
            p.upper > p.lower + 0.02 && p.lower < 0.05
            ? .holds : (p.upper + 0.02 < p.lower ? .doesNotHold : .inconclusive)
        var evidence =
            "error added by rewinding a module to its start, lower vs upper half of the body: P-T "
            + "\(percent(p.lower)) vs \(percent(p.upper))"
        if let rit { evidence += ", RI-T \(percent(rit.lower)) vs \(percent(rit.upper))" }
        return Finding(claim: .moduleCriticality, target: t.name, evidence: evidence, verdict: verdict)
    }

    static func checkpoint(_ t: StudyResults.Target) -> Finding {
        guard let s = t.checkpoints, !s.summary.isEmpty else {
            return missing(.earlierCheckpoint, t, "checkpoint choice")
        }
        let byEpoch = s.summary.compactMap { entry in Int(entry.setting).map { ($0, entry.accuracy) } }.sorted {
            $0.0 < $1.0
        }
        guard let last = byEpoch.last, byEpoch.count >= 2 else {
            return missing(.earlierCheckpoint, t, "checkpoint choice (2 or more epochs)")
        }
        // Holds: an earlier (non-random) checkpoint within 1 point of the last. Inconclusive: only within the seed
        // spread.
        let candidates = byEpoch.dropLast().filter { $0.0 > 0 }
        let close = candidates.first { $0.1.mean >= last.1.mean - 0.01 }
        let withinSpread = candidates.first { $0.1.maximum >= last.1.minimum }
        var evidence =
            "target accuracy from source epochs "
            + byEpoch.map { "\($0.0): \(percent($0.1.mean)) (\(percent($0.1.minimum))-\(percent($0.1.maximum)))" }
            .joined(separator: ", ")
        if let close {
            evidence += "; epoch \(close.0) is within 1 point of the last"
        } else if let withinSpread {
            evidence += "; epoch \(withinSpread.0) overlaps the last only within the seed spread"
        } else {
            evidence += "; every earlier checkpoint does worse than the last"
        }
        return Finding(
            claim: .earlierCheckpoint, target: t.name, evidence: evidence,
            verdict: close != nil ? .holds : (withinSpread != nil ? .inconclusive : .doesNotHold))
    }
}
