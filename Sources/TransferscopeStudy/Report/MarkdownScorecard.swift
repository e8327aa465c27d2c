import Foundation
import TransferscopeStatistics

/// The scorecard as Markdown (`transferscope study report --markdown`): the targets by distance
/// and every finding with its effect, interval, n and reason, for a README or a paper's notes.
public enum MarkdownScorecard {
    /// The Markdown of `results`.
    public static func render(_ results: StudyResults) -> String {
        var lines: [String] = []
        let source = results.study.source
        let p =
            source.given == nil
            ? "\(HTMLReport.sourceModel(results)) on \(source.data ?? ""), \(source.epochs) epochs, source test "
                + "accuracy \(results.sourceFinalAccuracy.map(Finding.percent) ?? "unknown")"
            : HTMLReport.sourceSummary(results)
        lines.append(
            "P: \(p); \(results.study.seeds.count) seeds; "
                + String(format: "%.1f minutes", results.seconds / 60) + " on \(results.machine.processor), "
                + "\(results.machine.threads) threads.")
        if let reason = HTMLReport.smokeTestReason(results) {
            lines.append("")
            lines.append("**Smoke test: these verdicts are not evidence** (\(reason)).")
        }
        let measured = HTMLReport.targetsByDistance(results)
        if measured.contains(where: { $0.domain != nil }) {
            lines.append("")
            lines.append(
                "| target (closest first) | Fréchet distance (95% CI) | linear probe "
                    + "| P-T minus RI-T, final accuracy (95% CI), n |"
            )
            lines.append("|---|---|---|---|")
            for t in measured {
                let d = t.domain
                let gain = HTMLReport.gainEstimate(t, seeds: results.study.seeds)
                lines.append(
                    "| \(t.name) | \(d.map(HTMLReport.distanceText) ?? "-") | "
                        + (d.map { "\(Finding.percent($0.probeAccuracy)) (chance \(Finding.percent($0.chance)))" }
                            ?? "-")
                        + " | \(gain.map(HTMLReport.pointsText) ?? "-") |")
            }
        }
        lines.append("")
        lines.append("| claim | target | verdict | effect (interval), n | reason |")
        lines.append("|---|---|---|---|---|")
        for finding in results.findings {
            let effect = HTMLReport.effectText(finding)
            lines.append(
                "| \(cell(finding.claim.rawValue)) | \(cell(finding.target)) | \(finding.verdict.rawValue) | "
                    + "\(cell(effect)) | \(cell(finding.reason)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` safe inside a Markdown table cell.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
