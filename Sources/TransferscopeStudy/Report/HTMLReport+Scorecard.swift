import Foundation

/// The findings scorecard: the rule in one sentence, a row per claim and target, a forest plot
/// per claim, and the smoke-test banner of a study too small to decide.
extension HTMLReport {
    /// Why a study is too small for its verdicts to be evidence, or nil: fewer than 3 seeds, or
    /// pre-training measurably helping on no target. Decided from the study's size and results,
    /// never from its name.
    static func smokeTestReason(_ r: StudyResults) -> String? {
        if r.study.seeds.count < 3 {
            return "it has \(r.study.seeds.count) seed(s); an interval over fewer than 3 seeds cannot exclude much"
        }
        let gates = r.findings.filter { $0.claim == .pretrainingHelps }
        if !gates.isEmpty && gates.allSatisfy({ $0.verdict != .holds }) {
            return "pre-training does not measurably help on any of its targets, so nothing is there to explain"
        }
        return nil
    }

    /// The CSS class of a verdict.
    static func css(_ verdict: Finding.Verdict) -> String {
        switch verdict {
        case .holds: return "holds"
        case .doesNotHold: return "doesnot"
        case .inconclusive: return "inconclusive"
        }
    }

    /// The colour of a verdict in the forest plots.
    static func colour(_ verdict: Finding.Verdict) -> String {
        switch verdict {
        case .holds: return "#2e7d32"
        case .doesNotHold: return "#c62828"
        case .inconclusive: return "#b58900"
        }
    }

    static func scorecard(_ r: StudyResults) -> String {
        var html = "<h2>Findings scorecard</h2>"
        if let reason = smokeTestReason(r) {
            html +=
                "<p class=\"banner\"><b>Smoke test: these verdicts are not evidence.</b> This study is too small "
                + "to decide the paper's claims: \(e(reason)).</p>"
        }
        html +=
            "<p>Each claim of the paper on each target, as an effect in the claim's direction (positive supports "
            + "the claim) with its 95% interval and n. The rule: <b>holds</b> when the interval excludes 0 on the "
            + "predicted side, or, for a \"no difference\" claim, when the 90% interval lies inside the stated "
            + "margin (two one-sided tests at 5%); <b>does not hold</b> when it excludes 0 on the other side, or lies "
            + "entirely outside the margin; else <b>inconclusive</b>, with the reason. Where pre-training does not "
            + "measurably help a target (the first claim), its other claims are inconclusive.</p>"
        html +=
            "<table><tr><th>claim</th><th>target</th><th>verdict</th><th>effect (interval), n</th>"
            + "<th>reason</th><th>evidence</th></tr>"
        for finding in r.findings {
            let effect = effectText(finding)
            html +=
                "<tr><td>\(e(finding.claim.rawValue))</td><td>\(e(finding.target))</td><td "
                + "class=\"\(css(finding.verdict))\">\(e(finding.verdict.rawValue))</td><td>\(e(effect))</td>"
                + "<td>\(e(finding.reason))</td><td>\(e(finding.evidence))</td></tr>"
        }
        html += "</table>"
        // One forest plot per claim: every target's effect and interval, coloured by its verdict.
        for claim in Finding.Claim.allCases {
            let findings = r.findings.filter { $0.claim == claim && $0.estimate != nil }
            guard let first = findings.first else { continue }
            let rows = findings.compactMap { finding in
                finding.estimate.map {
                    SVGChart.ForestRow(
                        label: finding.target, effect: $0.effect, lower: $0.interval.lower, upper: $0.interval.upper,
                        colour: colour(finding.verdict))
                }
            }
            // The margin is shaded only when every target's is the same (it depends on the test set).
            let margins = Set(findings.compactMap(\.margin))
            let margin = margins.count == 1 && findings.allSatisfy({ $0.margin != nil }) ? margins.first : nil
            html += figure(
                SVGChart.forest(rows, xLabel: first.scale ?? "effect", margin: margin),
                caption: "\(claim.rawValue): effect and interval per target (green holds, red does not hold, amber "
                    + "inconclusive)\(margin == nil ? "" : "; shaded: the equivalence margin").")
        }
        return html
    }
}
