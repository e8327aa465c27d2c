import Foundation
import TransferscopeAnalysis
import TransferscopeCheckpoints
import TransferscopeIO
import TransferscopeTraining

/// The study report: one self-contained HTML file (inline SVG and CSS, images as data URIs, no
/// network), drawn from `results.json` and the image grids in the results directory.
public enum HTMLReport {
    /// Writes `report.html` into `directory` (atomically) and returns its path.
    @discardableResult
    public static func write(_ results: StudyResults, directory: String) throws -> String {
        let path = directory + "/report.html"
        try AtomicFile.write(Data(render(results, directory: directory).utf8), to: path)
        return path
    }

    static func e(_ text: String) -> String { SVGChart.escape(text) }
    /// A run's name without its target: `PT-s0`.
    static func short(_ id: String) -> String { id.split(separator: "/").last.map(String.init) ?? id }
    static func pct(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }

    /// An image file as a data URI, or nil.
    static func image(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return "data:image/png;base64," + data.base64EncodedString()
    }

    static func figure(_ svg: String, caption: String) -> String {
        "<figure>\(svg)<figcaption>\(e(caption))</figcaption></figure>"
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        "<table><tr>" + header.map { "<th>\(e($0))</th>" }.joined() + "</tr>"
            + rows.map { "<tr>" + $0.map { "<td>\(e($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
    }

    /// The colour of a model's role: P-T blue, RI-T orange, P green; the controls vermillion
    /// (RI-T same init) and sky blue (RI-T at P-T's rate).
    static func colour(_ role: ModelRole) -> String {
        switch role {
        case .fineTuned: return SVGChart.ptColour
        case .scratch: return SVGChart.ritColour
        case .source: return SVGChart.sourceColour
        case .scratchSameInit: return SVGChart.sameInitColour
        case .scratchAtFineTuneRate: return SVGChart.scratchAtFineTuneRateColour
        }
    }

    /// The colour of a kind of run.
    static func colour(_ kind: TransferKind) -> String { colour(kind == .fineTuned ? ModelRole.fineTuned : .scratch) }

    /// The colour of a kind of pair: that of its role when both sides share one, purple across.
    static func colour(_ kind: PairKind) -> String {
        switch kind {
        case .fineTuned, .fineTunedPair, .fineTunedAndStart: return colour(ModelRole.fineTuned)
        case .scratch, .scratchPair, .scratchAndStart: return colour(ModelRole.scratch)
        case .sourceAndFineTuned: return colour(ModelRole.source)
        case .fineTunedAndScratch: return SVGChart.crossColour
        case .scratchSameInitPair, .scratchSameInitAndStart: return colour(ModelRole.scratchSameInit)
        }
    }

    /// Mean and band (min, max) of several curves sampled at the same x values.
    static func band(_ curves: [[(Double, Double)]]) -> (points: [(Double, Double)], band: [(Double, Double, Double)]) {
        guard let first = curves.first else { return ([], []) }
        var points: [(Double, Double)] = []
        var band: [(Double, Double, Double)] = []
        for (i, (x, _)) in first.enumerated() {
            let ys = curves.compactMap { i < $0.count ? $0[i].1 : nil }
            guard let low = ys.min(), let high = ys.max() else {
                preconditionFailure("band: no curve has a point \(i), yet the first curve does")
            }
            points.append((x, ys.reduce(0, +) / Double(ys.count)))
            band.append((x, low, high))
        }
        return (points, band)
    }

    static func render(_ r: StudyResults, directory: String) -> String {
        var body = "<h1>Transferscope study: \(e(r.study.name))</h1>"
        body +=
            "<p class=\"lead\">What is being transferred from <b>\(e(r.study.source.data ?? "P's source"))</b> to "
            + "\(r.targets.map { "<b>\(e($0.data))</b>" }.joined(separator: ", "))? "
        body +=
            "P = \(e(sourceModel(r)))\(r.study.source.given == nil ? " pre-trained on the source" : " (given)"); P-T "
            + "= P fine-tuned on a target; RI-T = "
            + "the same model trained on the target from random initialization; \(r.study.seeds.count) seeds each. "
        body +=
            "Colours: <span style=\"color:\(SVGChart.ptColour)\">■ P-T</span>, <span "
            + "style=\"color:\(SVGChart.ritColour)\">■ RI-T</span>, <span "
            + "style=\"color:\(SVGChart.sourceColour)\">■ P</span>, <span "
            + "style=\"color:\(SVGChart.crossColour)\">■ P-T vs RI-T</span>.</p>"
        body += scorecard(r)
        body += setup(r, directory: directory)
        body += distances(r)
        for target in targetsByDistance(r) { body += section(target, results: r, directory: directory) }
        body += "<footer>Transferscope \(e(r.version)); every number is in results.json beside this file.</footer>"
        return """
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Transferscope: \(e(r.study.name))</title>
            <style>
            body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:24px auto;\
            padding:0 16px;color:#222;line-height:1.45}
            h1{font-size:26px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:40px}h3{margin-top:28px}
            table{border-collapse:collapse;margin:10px 0;font-size:14px}td,th{border:1px solid #ccc;padding:4px 8px;\
            text-align:left;vertical-align:top}
            th{background:#f3f3f3}figure{margin:14px 24px 14px 0;display:inline-block;vertical-align:top;\
            max-width:560px}figcaption{font-size:13px;color:#555}
            .tick{font-size:11px;fill:#444}.axis{font-size:12px;fill:#222}.legend{font-size:12px;fill:#222}
            .banner{background:#fff3cd;border:1px solid #e0c36a;padding:8px 12px}.holds{background:#d4edda}\
            .doesnot{background:#f8d7da}.inconclusive{background:#fff3cd}.lead{font-size:15px}
            .empty{color:#888;font-style:italic}img.grid{max-width:100%;image-rendering:pixelated;border:1px solid \
            #ddd}footer{margin:40px 0;color:#777;font-size:13px}
            </style></head><body>\(body)</body></html>
            """
    }

    static func section(_ t: StudyResults.Target, results r: StudyResults, directory: String) -> String {
        var html = "<h2>Target: \(e(t.name))</h2>"
        // Learning curves.
        var series: [SVGChart.Series] = []
        let allCurves = t.curves + (t.controlCurves ?? [])
        for role in [ModelRole.fineTuned, .scratch, .scratchSameInit, .scratchAtFineTuneRate] {
            let curves = allCurves.filter { $0.kind == role }.map { $0.points.map { ($0[0], $0[1]) } }
            // A control that is off has no curves and no line.
            guard !curves.isEmpty || [.fineTuned, .scratch].contains(role) else { continue }
            let (points, band) = self.band(curves)
            series.append(SVGChart.Series(label: role.rawValue, colour: colour(role), points: points, band: band))
        }
        html += figure(
            SVGChart.lines(series, xLabel: "training step", yLabel: "test accuracy"),
            caption:
                "Learning curves on \(t.name): mean over seeds, band = range. P-T starting higher and rising "
                + "faster than RI-T is what the pre-training buys."
                + ((t.controlCurves ?? []).isEmpty
                    ? "" : " The controls the study ran: RI-T from one shared initialization, RI-T at P-T's rate.")
        )
        // Block shuffle.
        if let shuffle = t.shuffle {
            for note in shuffle.notes ?? [] { html += "<p class=\"empty\">Note: \(e(note)).</p>" }
            let settings = shuffle.summary.map(\.setting).reduce(into: [String]()) {
                if !$0.contains($1) { $0.append($1) }
            }
            var lines: [SVGChart.Series] = []
            for kind in TransferKind.allCases {
                let entries = settings.enumerated().compactMap { i, s in
                    shuffle.summary.first { $0.setting == s && $0.kind == kind }.map { (Double(i), $0.accuracy) }
                }
                lines.append(
                    SVGChart.Series(
                        label: kind.label, colour: colour(kind), points: entries.map { ($0.0, $0.1.mean) },
                        band: entries.map { ($0.0, $0.1.minimum, $0.1.maximum) }))
            }
            html += figure(
                SVGChart.lines(
                    lines, xLabel: "block size (\(settings.first ?? "") = no shuffle; pixel = all values permuted)",
                    yLabel: "final test accuracy", categories: settings),
                caption:
                    "Feature reuse: accuracy as the target images are cut into smaller shuffled blocks. A P-T "
                    + "curve falling further than RI-T's means P-T relied on the images' visual structure."
            )
            html += table(
                ["block", "kind", "accuracy (mean, range)", "steps to 90% of final"],
                shuffle.summary.map {
                    [
                        $0.setting, $0.kind.rawValue,
                        "\(pct($0.accuracy.mean)) (\(pct($0.accuracy.minimum))-\(pct($0.accuracy.maximum)))",
                        $0.stepsToFraction.count > 0 ? String(format: "%.0f", $0.stepsToFraction.mean) : "-",
                    ]
                })
        }
        html += sizes(t)
        // Mistakes.
        if let mistakes = t.mistakes {
            html += "<h3>Mistakes</h3>"
            html += table(
                [
                    "pair", "A", "B", "both right", "only A right", "only B right", "both wrong", "same wrong label",
                    "mean ambiguity (cells in order)",
                ],
                mistakes.pairs.map { p in
                    [
                        p.kind.rawValue, short(p.a), short(p.b), String(p.value.bothRight), String(p.value.onlyARight),
                        String(p.value.onlyBRight), String(p.value.bothWrong), String(p.value.sameWrongLabel),
                        p.value.meanAmbiguity.map { $0.map { String(format: "%.3f", $0) } ?? "-" }.joined(
                            separator: " / "),
                    ]
                })
            let cells: [(MistakeCell, String)] = [
                (.onlyBRight, "samples P-T gets wrong and RI-T right"),
                (.onlyARight, "samples P-T gets right and RI-T wrong"),
                (.bothWrong, "samples both get wrong"),
            ]
            for (cell, caption) in cells.map({ ($0.0.slug(a: "PT", b: "RIT"), $0.1) }) {
                let classes = e(t.classes.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", "))
                for (suffix, which) in [("", "The most ambiguous"), ("-typical", "Typical")] {
                    guard let uri = image("\(directory)/results/\(t.name)/mistakes/\(cell)\(suffix).png") else {
                        continue
                    }
                    html +=
                        "<figure><img class=\"grid\" src=\"\(uri)\" alt=\"\(cell)\(suffix)\"><figcaption>\(which) "
                        + "\(caption) (first P-T/RI-T pair\(suffix.isEmpty ? "" : "; every k-th image of the cell")). "
                        + "Captions: T true class, P the P-T prediction, R the RI-T prediction (class indices: "
                        + "\(classes)).</figcaption></figure>"
                }
            }
        }
        // CKA.
        if let cka = t.cka, let first = cka.first {
            html += "<h3>Feature similarity (CKA)</h3>"
            let layers = first.value.layersA
            var lines: [SVGChart.Series] = []
            for kind in [PairKind.sourceAndFineTuned, .fineTunedPair, .fineTunedAndScratch, .scratchPair] {
                let curves = cka.filter { $0.kind == kind }.map { pair in
                    pair.value.diagonal().enumerated().map { (Double($0.offset), $0.element.value) }
                }
                guard !curves.isEmpty else { continue }
                let (points, band) = self.band(curves)
                lines.append(
                    SVGChart.Series(
                        label: kind.rawValue, colour: colour(kind), points: points, band: band,
                        dashed: kind == .sourceAndFineTuned))
            }
            html += figure(
                SVGChart.lines(lines, xLabel: "layer", yLabel: "CKA", yRange: (0, 1), categories: layers),
                caption:
                    "CKA of the same layer in two models (\(first.value.kernel), "
                    + "\(first.value.debiased ? "unbiased" : "biased") HSIC, \(first.value.samples) test images). "
                    + "The paper finds P-T models alike (high P-T/P-T) and unlike RI-T models."
            )
            for kind in [PairKind.fineTunedPair, .scratchPair, .fineTunedAndScratch] {
                guard let pair = cka.first(where: { $0.kind == kind }) else { continue }
                html += figure(
                    SVGChart.heatmap(
                        pair.value.values, rows: pair.value.layersA, columns: pair.value.layersB, low: 0, high: 1,
                        xLabel: short(pair.b), yLabel: short(pair.a), cell: 22),
                    caption:
                        "Every layer of \(short(pair.a)) against every layer of \(short(pair.b)) "
                        + "(\(kind.rawValue)); dark = similar."
                )
            }
        }
        // Distances.
        if let distances = t.distances {
            html += "<h3>Parameter distances</h3>"
            html += table(
                ["pair", "A", "B", "L2 distance", "relative to B's norm"],
                distances.map {
                    [
                        $0.kind.rawValue, short($0.a), short($0.b), String(format: "%.3f", $0.value.total),
                        String(format: "%.3f", $0.value.relative),
                    ]
                })
            let startKinds: [(PairKind, ModelRole)] = [
                (.fineTunedAndStart, .fineTuned), (.scratchAndStart, .scratch),
                (.scratchSameInitAndStart, .scratchSameInit),
            ]
            let starts = distances.filter { pair in startKinds.contains { $0.0 == pair.kind } }
            if let one = starts.first {
                let modules = one.value.modules.map(\.name)
                var lines: [SVGChart.Series] = []
                for (kind, role) in startKinds {
                    let curves = starts.filter { $0.kind == kind }.map {
                        $0.value.modules.enumerated().map { (Double($0.offset), $0.element.relative) }
                    }
                    guard !curves.isEmpty else { continue }
                    let (points, band) = self.band(curves)
                    lines.append(
                        SVGChart.Series(label: role.rawValue, colour: colour(role), points: points, band: band))
                }
                html += figure(
                    SVGChart.lines(
                        lines, xLabel: "module", yLabel: "distance to start / start norm", categories: modules),
                    caption:
                        "How far training moved each module from where it started (P for P-T, the random "
                        + "initialization for RI-T), relative to the module's starting norm."
                )
            }
        }
        // Interpolation.
        if let curves = t.interpolation {
            html += "<h3>Performance barriers</h3>"
            let lines = curves.map { pair in
                SVGChart.Series(
                    label: pair.kind.rawValue, colour: colour(pair.kind),
                    points: pair.value.points.map { ($0.lambda, 1 - $0.testAccuracy) })
            }
            html += figure(
                SVGChart.lines(lines, xLabel: "lambda (0 = first model, 1 = second)", yLabel: "test error"),
                caption:
                    "Test error along the straight line between two solutions, BatchNorm statistics "
                    + "\(curves.first?.value.batchNorm.rawValue ?? "") at every point. A bump is a barrier: the "
                    + "paper finds none between P-T solutions (one basin) and one between RI-T solutions"
                    + (curves.contains { $0.kind == .scratchSameInitPair }
                        ? ", even between RI-T solutions from one shared initialization (RI-T/RI-T same init)."
                        : ".")
            )
            html += table(
                ["pair", "A", "B", "test loss barrier", "test error barrier", "train loss barrier"],
                curves.map {
                    [
                        $0.kind.rawValue, short($0.a), short($0.b),
                        String(format: "%.4f", $0.value.testLossBarrier.height), pct($0.value.testErrorBarrier.height),
                        String(format: "%.4f", $0.value.trainLossBarrier.height),
                    ]
                })
        }
        // Criticality.
        if let criticality = t.criticality {
            html += "<h3>Module criticality</h3>"
            for result in criticality {
                let c = result.value
                html += figure(
                    SVGChart.heatmap(
                        c.modules.map(\.errorAlongAlpha), rows: c.modules.map(\.name),
                        columns: c.alphas.map { String(format: "%.1f", $0) },
                        low: 0, high: 1, xLabel: "alpha (0 = module rewound to its start, 1 = final)", yLabel: "module",
                        cell: 24),
                    caption:
                        "\(result.kind.rawValue) (\(short(result.a))): training error with one module moved back "
                        + "towards its start; dark = high error. Final error \(pct(c.finalError))."
                )
            }
            html += table(
                ["kind", "module", "rewind error", "distance", "criticality mu"],
                criticality.flatMap { result in
                    result.value.modules.map {
                        [
                            result.kind.rawValue, $0.name, pct($0.rewindError), String(format: "%.3f", $0.distance),
                            $0.criticality.map { String(format: "%.3g", $0) } ?? "none met epsilon",
                        ]
                    }
                })
        }
        // Checkpoint choice.
        if let checkpoints = t.checkpoints {
            html += "<h3>Which source checkpoint</h3>"
            let entries = checkpoints.summary.compactMap { s in Int(s.setting).map { (Double($0), s.accuracy) } }.sorted
            { $0.0 < $1.0 }
            let stepsPerEpoch = r.source.points.count > 1 ? r.source.points[1][0] : 1
            let source = r.source.points.map { ($0[0] / max(stepsPerEpoch, 1), $0[1]) }
            html += figure(
                SVGChart.lines(
                    [
                        SVGChart.Series(
                            label: "P-T on \(t.name)", colour: SVGChart.ptColour,
                            points: entries.map { ($0.0, $0.1.mean) },
                            band: entries.map { ($0.0, $0.1.minimum, $0.1.maximum) }),
                        SVGChart.Series(
                            label: "P on source", colour: SVGChart.sourceColour, points: source, dashed: true),
                    ], xLabel: "source epoch of the checkpoint fine-tuned", yLabel: "test accuracy"),
                caption:
                    "Target accuracy after fine-tuning from each kept source checkpoint (band: range over "
                    + "seeds), beside the source's own accuracy. The paper finds a checkpoint early in the final "
                    + "plateau does as well as the last."
            )
        }
        return html
    }
}
