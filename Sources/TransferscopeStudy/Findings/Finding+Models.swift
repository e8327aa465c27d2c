import Foundation
import TransferscopeAnalysis
import TransferscopeStatistics

extension Finding {
    /// The number of distinct runs among the pairs of `kind` (the independent units of their statistics).
    static func runs<Value>(_ pairs: [PairResult<Value>], _ kind: PairKind) -> Int {
        Set(pairs.filter { $0.kind == kind }.flatMap { [$0.a, $0.b] }).count
    }

    /// Two P-T models disagree less often than two RI-T models: the share of test images exactly
    /// one of the two gets right, RI-T pairs minus P-T pairs (Welch over pairs; pairs that share a
    /// run are not independent, so with few seeds the interval is optimistic, and the reason says so).
    static func similarMistakes(_ t: StudyResults.Target) -> Finding {
        guard let m = t.mistakes else { return missing(.similarMistakes, t, "the mistakes analysis") }
        func disagreement(_ kind: PairKind) -> [Double] {
            m.pairs.filter { $0.kind == kind }.map {
                Double($0.value.onlyARight + $0.value.onlyBRight) / Double(max($0.value.total, 1))
            }
        }
        let (pt, rit) = (disagreement(.fineTunedPair), disagreement(.scratchPair))
        guard !pt.isEmpty, !rit.isEmpty else { return missing(.similarMistakes, t, "two or more seeds") }
        let estimate = Estimates.difference(
            ofPairs: rit, runs: runs(m.pairs, .scratchPair), pt, runs: runs(m.pairs, .fineTunedPair))
        let finding = judged(
            .similarMistakes, t, estimate: estimate, predicted: .greater, unit: "runs", scale: "share of images",
            evidence: "images exactly one model gets right: P-T/P-T \(percent(mean(pt))), RI-T/RI-T "
                + "\(percent(mean(rit))); difference \(points(estimate.effect)) (95% CI "
                + "\(points(estimate.interval.lower)) to \(points(estimate.interval.upper))), "
                + "\(pt.count) + \(rit.count) pairs of \(estimate.n) runs, Welch t with n = runs (pairs share runs)")
        return finding
    }

    /// P-T's mistakes that RI-T gets right are ambiguous: per P-T/RI-T pair of a seed (pairs of
    /// different seeds share no run), the mean ambiguity of the images only RI-T gets right minus
    /// that of the images only P-T gets right, the matched control (both are disagreements).
    static func ambiguousMistakes(_ t: StudyResults.Target) -> Finding {
        guard let m = t.mistakes else { return missing(.ambiguousMistakes, t, "the mistakes analysis") }
        let differences = m.pairs.filter { $0.kind == .fineTunedAndScratch }.compactMap { pair -> Double? in
            guard let onlyScratch = pair.value.meanAmbiguity[2], let onlyFineTuned = pair.value.meanAmbiguity[1]
            else { return nil }
            return onlyScratch - onlyFineTuned
        }
        guard !differences.isEmpty else { return missing(.ambiguousMistakes, t, "pairs with both disagreement cells") }
        let estimate = Estimates.mean(differences)
        let f = { (x: Double) in String(format: "%.3f", x) }
        return judged(
            .ambiguousMistakes, t, estimate: estimate, predicted: .greater, unit: "seed pairs", scale: "nats",
            evidence: "ambiguity (entropy of the models' mean prediction) of images only RI-T gets right minus "
                + "those only P-T gets right: \(f(estimate.effect)) nats (95% CI \(f(estimate.interval.lower)) to "
                + "\(f(estimate.interval.upper))), n = \(differences.count) P-T/RI-T pairs, t")
    }

    /// P-T models are alike in their features: the CKA of the same layer, averaged over layers,
    /// P-T/P-T pairs minus RI-T/RI-T pairs (Welch over pairs).
    static func featureSimilarity(_ t: StudyResults.Target) -> Finding {
        guard let cka = t.cka else { return missing(.featureSimilarity, t, "the CKA analysis") }
        func layerMeans(_ kind: PairKind) -> [Double] {
            cka.filter { $0.kind == kind }.map { mean($0.value.diagonal().map(\.value)) }
        }
        let (pt, rit) = (layerMeans(.fineTunedPair), layerMeans(.scratchPair))
        guard !pt.isEmpty, !rit.isEmpty else { return missing(.featureSimilarity, t, "two or more seeds") }
        let estimate = Estimates.difference(
            ofPairs: pt, runs: runs(cka, .fineTunedPair), rit, runs: runs(cka, .scratchPair))
        let f = { (x: Double) in String(format: "%.3f", x) }
        var perLayer = ""
        if let first = cka.first(where: { $0.kind == .fineTunedPair }) {
            let layers = first.value.diagonal().map(\.layer)
            func layerMean(_ kind: PairKind, _ i: Int) -> Double {
                mean(cka.filter { $0.kind == kind }.compactMap { $0.value.diagonal()[safe: i]?.value })
            }
            perLayer =
                "; per layer P-T/P-T, RI-T/RI-T, P/P-T: "
                + layers.indices.map { i in
                    "\(layers[i]) \(f(layerMean(.fineTunedPair, i)))/\(f(layerMean(.scratchPair, i)))/"
                        + f(layerMean(.sourceAndFineTuned, i))
                }.joined(separator: ", ")
        }
        return judged(
            .featureSimilarity, t, estimate: estimate, predicted: .greater, unit: "runs", scale: "CKA",
            evidence: "CKA averaged over layers: P-T/P-T \(f(mean(pt))), RI-T/RI-T \(f(mean(rit))); difference "
                + "\(f(estimate.effect)) (95% CI \(f(estimate.interval.lower)) to \(f(estimate.interval.upper))), "
                + "\(pt.count) + \(rit.count) pairs of \(estimate.n) runs, Welch t with n = runs\(perLayer)")
    }

    /// P-T models are close in parameters: the distance between two runs relative to their size,
    /// RI-T pairs from ONE shared initialization minus P-T pairs (which share P). Against RI-T pairs
    /// from independent random starts the claim would hold by construction, so without the
    /// same-initialization control this finding is inconclusive.
    static func parameterCloseness(_ t: StudyResults.Target) -> Finding {
        guard let d = t.distances else { return missing(.parameterCloseness, t, "the distance analysis") }
        func relative(_ kind: PairKind) -> [Double] {
            d.filter { $0.kind == kind }.map {
                $0.value.referenceNorm > 0 ? $0.value.total / $0.value.referenceNorm : .nan
            }
        }
        let (pt, sameInit) = (relative(.fineTunedPair), relative(.scratchSameInitPair))
        guard !pt.isEmpty else { return missing(.parameterCloseness, t, "two or more seeds") }
        guard !sameInit.isEmpty else {
            return missing(.parameterCloseness, t, "the same-initialization RI-T control (controls: same_init)")
        }
        let estimate = Estimates.difference(
            ofPairs: sameInit, runs: runs(d, .scratchSameInitPair), pt, runs: runs(d, .fineTunedPair))
        let f = { (x: Double) in String(format: "%.3f", x) }
        let (ptStart, ritStart) = (relative(.fineTunedAndStart), relative(.scratchAndStart))
        return judged(
            .parameterCloseness, t, estimate: estimate, predicted: .greater, unit: "runs", scale: "relative distance",
            evidence: "distance / norm between two runs: P-T/P-T \(f(mean(pt))), RI-T/RI-T from one initialization "
                + "\(f(mean(sameInit))); difference \(f(estimate.effect)) (95% CI \(f(estimate.interval.lower)) to "
                + "\(f(estimate.interval.upper))), \(pt.count) + \(sameInit.count) pairs of \(estimate.n) runs, "
                + "Welch t with n = runs; each run to its "
                + "start: P-T \(f(mean(ptStart))), RI-T \(f(mean(ritStart)))")
    }

    /// No barrier between P-T solutions, a barrier between RI-T solutions: the test-error barrier
    /// of RI-T/RI-T pairs minus that of P-T/P-T pairs (Welch, predicted > 0), and P-T's barrier
    /// equivalent to 0 within a margin of two standard errors of the test error (TOST at 5%).
    /// Holds when both hold; does not hold when either is shown false.
    static func performanceBarriers(_ t: StudyResults.Target) -> Finding {
        guard let curves = t.interpolation else {
            return missing(.performanceBarriers, t, "the interpolation analysis")
        }
        func heights(_ kind: PairKind) -> [Double] {
            curves.filter { $0.kind == kind }.map(\.value.testErrorBarrier.height)
        }
        let (pt, rit, sameInit) = (heights(.fineTunedPair), heights(.scratchPair), heights(.scratchSameInitPair))
        guard !pt.isEmpty, !rit.isEmpty else { return missing(.performanceBarriers, t, "two or more seeds") }
        let difference = Estimates.difference(
            ofPairs: rit, runs: runs(curves, .scratchPair), pt, runs: runs(curves, .fineTunedPair))
        let error =
            1 - mean(curves.filter { $0.kind == .fineTunedPair }.flatMap { $0.value.endpoints.map(\.testAccuracy) })
        // At least one test image's worth, so a perfect model (error 0) still gets a margin.
        let margin = max(
            2 * (error * (1 - error) / Double(max(t.testImages, 1))).squareRoot(), 1 / Double(max(t.testImages, 1)))
        let flat = Estimates.mean(pt, level: 0.90)
        let (flatVerdict, flatReason) = TransferscopeStatistics.verdict(flat, predicted: .equivalent(margin: margin))
        var finding = judged(
            .performanceBarriers, t, estimate: difference, predicted: .greater, unit: "runs", scale: "test error",
            evidence: "test-error barrier on the line between two solutions: P-T/P-T \(percent(mean(pt))), RI-T/RI-T "
                + "\(percent(mean(rit)))"
                + (sameInit.isEmpty ? "" : ", RI-T/RI-T from one initialization \(percent(mean(sameInit)))")
                + "; train-loss barrier P-T/P-T "
                + String(
                    format: "%.3f",
                    mean(curves.filter { $0.kind == .fineTunedPair }.map(\.value.trainLossBarrier.height)))
                + ", RI-T/RI-T "
                + String(
                    format: "%.3f", mean(curves.filter { $0.kind == .scratchPair }.map(\.value.trainLossBarrier.height))
                )
                + "; RI-T minus P-T \(points(difference.effect)) (95% CI \(points(difference.interval.lower)) to "
                + "\(points(difference.interval.upper))), \(difference.n) runs, Welch t with n = runs; "
                + "P-T's barrier against a margin of "
                + "\(points(margin)) (2 s.e. of the test error, \(t.testImages) images): \(flatVerdict.rawValue) "
                + "(90% CI \(points(flat.interval.lower)) to \(points(flat.interval.upper)), TOST)")
        switch (finding.verdict, flatVerdict) {
        case (.holds, .holds): finding.reason = "RI-T higher: \(finding.reason); P-T flat: \(flatReason)"
        case (.doesNotHold, _), (_, .doesNotHold):
            finding.verdict = .doesNotHold
            finding.reason = "RI-T higher: \(finding.reason); P-T flat: \(flatReason)"
        default:
            finding.verdict = .inconclusive
            finding.reason = "RI-T higher: \(finding.reason); P-T flat: \(flatReason)"
        }
        return finding
    }
}

extension Array {
    /// The element at `index`, or nil when it is out of range.
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
