import Foundation
import TransferscopeAnalysis
import TransferscopeCheckpoints
import TransferscopeIO
import TransferscopeTraining

/// The report's setup: P (pre-trained, or given), the targets, the recipe, the seeds, the
/// machine and the time, with P's learning curve and each target's samples.
extension HTMLReport {
    /// P's architecture by name ("resnet50"), or the study's model for results without it.
    static func sourceModel(_ r: StudyResults) -> String { r.sourceArchitecture?.name ?? r.study.source.model }

    /// One line on P: how it was pre-trained, or which files it was given as, and its source accuracy.
    static func sourceSummary(_ r: StudyResults) -> String {
        let s = r.study.source
        guard let given = s.given else {
            let accuracy = r.sourceFinalAccuracy.map { "test accuracy \(pct($0))" } ?? "test accuracy unknown"
            return "\(s.data ?? "")\(s.subsample.map { " (\($0) training images)" } ?? ""): \(sourceModel(r)), "
                + "\(s.epochs) epochs, batch \(s.batchSize), SGD lr \(s.learningRate) (\(s.schedule)), momentum "
                + "\(s.momentum), weight decay \(s.weightDecay); final \(accuracy)"
        }
        let architecture = r.sourceArchitecture.map {
            " (\($0.block.rawValue) blocks \($0.blocksPerStage), widths \($0.widths), \($0.stem.rawValue) stem, "
                + "\($0.classes) classes)"
        }
        return "given P \(given.run ?? given.checkpoint): \(sourceModel(r))\(architecture ?? "")"
            + (given.checkpoints.count > 1
                ? "; \(given.checkpoints.count) source checkpoints (epochs "
                    + given.checkpoints.keys.sorted().map(String.init).joined(separator: ", ") + ")" : "")
            + "; source data \(s.data ?? "not given"); "
            + (r.sourceFinalAccuracy.map { "source test accuracy \(pct($0))" }
                ?? (s.data == nil
                    ? "no source test images"
                    : "P's source accuracy not measured (the data's classes are not its head's)"))
    }

    static func setup(_ r: StudyResults, directory: String) -> String {
        let s = r.study.source
        let recipe = r.study.recipe
        var html = "<h2>Setup</h2>"
        html += table(
            ["", "value"],
            [
                ["source", e(sourceSummary(r))],
                [
                    "targets",
                    r.targets.map {
                        "\($0.name): \($0.trainImages) train / \($0.testImages) test images, \($0.classes.count) "
                            + "classes"
                    }.joined(separator: "; "),
                ],
                [
                    "target recipe",
                    "\(recipe.epochs) epochs, batch \(recipe.batchSize), P-T lr \(recipe.fineTuneLearningRate), "
                        + "RI-T lr \(recipe.scratchLearningRate), cosine; P-T and RI-T see the same inputs (P's size, "
                        + "channels, normalization)",
                ],
                ["seeds", r.study.seeds.map(String.init).joined(separator: ", ")],
                [
                    "machine",
                    "\(r.machine.processor), \(r.machine.cores) cores (\(r.machine.threads) threads), "
                        + "\(r.machine.memoryGiB) GiB, \(r.machine.operatingSystem)",
                ],
                [
                    "time",
                    String(
                        format: "%.1f minutes for this run of the study (finished parts of earlier runs reused)",
                        r.seconds / 60),
                ],
            ])
        let sourceCurve = r.source.points.map { ($0[0], $0[1]) }
        if !sourceCurve.isEmpty {
            html += figure(
                SVGChart.lines(
                    [SVGChart.Series(label: "P (source)", colour: SVGChart.sourceColour, points: sourceCurve)],
                    xLabel: "training step", yLabel: "source test accuracy"),
                caption:
                    "Pre-training of P on \(s.data ?? "its source"): test accuracy after every epoch (step 0 is the "
                    + "random initialization).")
        }
        for target in r.targets {
            if let uri = image("\(directory)/results/\(target.name)/samples.png") {
                html +=
                    "<figure><img class=\"grid\" src=\"\(uri)\" alt=\"samples of "
                    + "\(e(target.name))\"><figcaption>Samples of the target \(e(target.name)), one row per class, "
                    + "as the models see them.</figcaption></figure>"
            }
        }
        return html
    }
}
