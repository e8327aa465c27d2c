import Foundation
import TransferscopeAnalysis
import TransferscopeExperiments
import TransferscopeStatistics
import TransferscopeTraining

/// The comparison of targets: their distance from the source, and what pre-training is worth on
/// each, closest first; and the target-size sweep of one target.
extension HTMLReport {
    /// The targets closest first by their measured distance, then those without one, in the study's order.
    static func targetsByDistance(_ r: StudyResults) -> [StudyResults.Target] {
        let ordered = Finding.closestFirst(r.targets)
        return ordered + r.targets.filter { target in !ordered.contains { $0.name == target.name } }
    }

    /// The section comparing the targets.
    static func distances(_ r: StudyResults) -> String {
        let measured = Finding.closestFirst(r.targets)
        guard !measured.isEmpty else { return "" }
        var html = "<h2>Targets by distance from the source</h2>"
        html +=
            "<p>The distance of a target from the source is the Fréchet distance between Gaussians fitted to P's "
            + "pooled features (the input of its head) on source test images and on target test images: 0 for "
            + "the same distribution, larger the more differently P sees the two. It is computed from P and "
            + "unlabelled images alone, so it exists before anything is trained on the target. The linear probe is "
            + "a second, simpler view: how well a linear classifier on P's frozen features separates the target's "
            + "classes (it also depends on how hard the target is). Targets below are closest first.</p>"
        html += table(
            [
                "target", "Fréchet distance (95% CI)", "relative to the source's spread", "linear probe (chance)",
                "P-T minus RI-T, final accuracy (95% CI), n",
            ],
            measured.map { t in
                let d = t.domain
                let gain = gainEstimate(t, seeds: r.study.seeds)
                return [
                    t.name,
                    d.map(distanceText) ?? "-",
                    d.map { String(format: "%.3f", $0.relativeFrechet) } ?? "-",
                    d.map { "\(pct($0.probeAccuracy)) (\(pct($0.chance)))" } ?? "-",
                    gain.map(pointsText) ?? "-",
                ]
            })
        let counts = Set(measured.compactMap { $0.domain?.targetImages })
        if counts.count > 1 {
            html +=
                "<p class=\"empty\">Note: the distances were measured on different numbers of target images ("
                + counts.sorted().map(String.init).joined(separator: ", ") + "); the Fréchet distance's "
                + "finite-sample bias grows as the count falls, so nearby values may be ordered by it.</p>"
        }
        let rows = measured.compactMap { t in
            gainEstimate(t, seeds: r.study.seeds).map {
                SVGChart.ForestRow(
                    label: t.name, effect: $0.effect, lower: $0.interval.lower, upper: $0.interval.upper,
                    colour: SVGChart.ptColour)
            }
        }
        html += figure(
            SVGChart.forest(rows, xLabel: "P-T minus RI-T, final test accuracy"),
            caption:
                "What pre-training is worth on each target, closest first (mean over seeds, 95% paired t interval). "
                + "The paper predicts the gain shrinks as the target gets farther from the source.")
        let shrinks = measured.compactMap { t -> SVGChart.ForestRow? in
            let values = Finding.shuffleShrinks(t, AssessmentContext.reportContext(r))
            guard !values.isEmpty else { return nil }
            let e = Estimates.mean(values)
            return SVGChart.ForestRow(
                label: t.name, effect: e.effect, lower: e.interval.lower, upper: e.interval.upper,
                colour: SVGChart.crossColour)
        }
        if !shrinks.isEmpty {
            html += figure(
                SVGChart.forest(shrinks, xLabel: "loss of P-T's advantage from no shuffle to b = 1"),
                caption:
                    "Feature reuse per target, closest first: how much of P-T's advantage over RI-T the finest block "
                    + "shuffle takes away (mean over seeds, 95% t interval). The paper predicts more for closer "
                    + "targets.")
        }
        return html
    }

    /// A finding's effect, its interval and n, as the scorecards (HTML and Markdown) print it.
    static func effectText(_ finding: Finding) -> String {
        guard let estimate = finding.estimate else { return "-" }
        return "\(SVGChart.label(estimate.effect)) (\(Int((estimate.interval.level * 100).rounded()))% CI "
            + "\(SVGChart.label(estimate.interval.lower)) to \(SVGChart.label(estimate.interval.upper))), "
            + "n = \(estimate.n) \(finding.unit ?? "")"
    }

    /// A distance with its interval: "26.7 (24.7 to 29.2)".
    static func distanceText(_ d: DomainDistance) -> String {
        String(format: "%.3g (%.3g to %.3g)", d.frechet, d.frechetLower, d.frechetUpper)
    }

    /// A difference of accuracies in points with its interval and n: "+14.2 points (+3.7 to +24.6), n = 3".
    static func pointsText(_ e: Estimate) -> String {
        String(
            format: "%+.1f points (%+.1f to %+.1f), n = %d", 100 * e.effect, 100 * e.interval.lower,
            100 * e.interval.upper, e.n)
    }

    /// P-T minus RI-T in final accuracy on `t`, paired over the seeds that have both; nil without any.
    static func gainEstimate(_ t: StudyResults.Target, seeds: [UInt64]) -> Estimate? {
        let paired = seeds.compactMap { seed -> (Double, Double)? in
            guard let pt = Finding.finalAccuracy(t, "PT", seed), let rit = Finding.finalAccuracy(t, "RIT", seed) else {
                return nil
            }
            return (pt, rit)
        }
        guard !paired.isEmpty else { return nil }
        return Estimates.pairedDifference(paired.map(\.0), paired.map(\.1))
    }

    /// The target-size sweep of `t`: accuracy of P-T and RI-T against the images per class, and
    /// the gain at each size with its interval.
    static func sizes(_ t: StudyResults.Target) -> String {
        guard let sizes = t.sizes else { return "" }
        var html = "<h3>Target size</h3>"
        let settings = Array(Set(sizes.runs.compactMap { Int($0.setting) })).sorted()
        var lines: [SVGChart.Series] = []
        for kind in TransferKind.allCases {
            let entries = settings.enumerated().compactMap { i, size in
                sizes.summary.first { $0.setting == "\(size)" && $0.kind == kind }.map { (Double(i), $0.accuracy) }
            }
            lines.append(
                SVGChart.Series(
                    label: kind.label, colour: colour(kind), points: entries.map { ($0.0, $0.1.mean) },
                    band: entries.map { ($0.0, $0.1.minimum, $0.1.maximum) }))
        }
        html += figure(
            SVGChart.lines(
                lines, xLabel: "training images per class", yLabel: "final test accuracy",
                categories: settings.map(String.init)),
            caption:
                "P-T and RI-T on \(t.name) with more and more training images per class (mean over seeds, band = "
                + "range). The paper's transfer gains are largest with little target data.")
        html += table(
            ["images per class", "P-T", "RI-T", "P-T minus RI-T (95% CI), n"],
            settings.map { size in
                let runs = sizes.runs.filter { $0.setting == "\(size)" }
                let seeds = Array(Set(runs.map(\.seed))).sorted().filter { seed in
                    TransferKind.allCases.allSatisfy { kind in runs.contains { $0.seed == seed && $0.kind == kind } }
                }
                func accuracies(_ kind: TransferKind) -> [Double] {
                    seeds.compactMap { seed in runs.first { $0.seed == seed && $0.kind == kind }?.finalTestAccuracy }
                }
                let gain = Estimates.pairedDifference(accuracies(.fineTuned), accuracies(.fromScratch))
                return [
                    "\(size)", pct(Finding.mean(accuracies(.fineTuned))), pct(Finding.mean(accuracies(.fromScratch))),
                    pointsText(gain),
                ]
            })
        return html
    }
}

extension AssessmentContext {
    /// The context the findings were assessed in, from the results (for the report's figures).
    static func reportContext(_ r: StudyResults) -> AssessmentContext {
        AssessmentContext(
            seeds: r.study.seeds, side: r.inputSide, sourceCurve: r.source.points, source: r.study.source,
            sourceTestImages: r.sourceTestImages)
    }
}
