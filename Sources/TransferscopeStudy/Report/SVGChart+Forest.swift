import Foundation

extension SVGChart {
    /// One row of a forest plot: an effect with its interval, coloured by its verdict.
    public struct ForestRow: Sendable, Equatable {
        /// The row's label (a target, or a claim).
        public var label: String
        /// The point estimate.
        public var effect: Double
        /// The interval's lower end (may be -infinity: drawn to the plot's edge).
        public var lower: Double
        /// The interval's upper end (may be +infinity).
        public var upper: Double
        /// The colour of the verdict (holds green, does not hold red, inconclusive amber).
        public var colour: String

        /// A row of `label` with `effect` in [`lower`, `upper`], drawn in `colour`.
        public init(label: String, effect: Double, lower: Double, upper: Double, colour: String) {
            self.label = label
            self.effect = effect
            self.lower = lower
            self.upper = upper
            self.colour = colour
        }
    }

    /// A forest plot: one horizontal interval per row with its point estimate, a line at 0, and
    /// for an equivalence claim the margin (-m, m) shaded; infinite ends are drawn as arrows at the edge.
    public static func forest(
        _ rows: [ForestRow], xLabel: String, margin: Double? = nil, width: Int = 560
    ) -> String {
        let (left, right, top, rowHeight) = (180.0, 20.0, 10.0, 22.0)
        let height = Int(top + Double(rows.count) * rowHeight + 46)
        let plotWidth = Double(width) - left - right
        let finite =
            rows.flatMap { [$0.effect, $0.lower, $0.upper] }.filter(\.isFinite) + [0]
            + (margin.map { [-$0, $0] } ?? [])
        guard var low = finite.min(), var high = finite.max(), !rows.isEmpty else {
            return "<p class=\"empty\">No data for this figure.</p>"
        }
        let pad = max((high - low) * 0.08, 1e-9)
        (low, high) = (low - pad, high + pad)
        func px(_ x: Double) -> Double { left + (min(max(x, low), high) - low) / (high - low) * plotWidth }
        let plotBottom = top + Double(rows.count) * rowHeight
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" "
            + "height=\"\(height)\" role=\"img\">"
        if let margin {
            svg +=
                "<rect x=\"\(px(-margin))\" y=\"\(top)\" width=\"\(px(margin) - px(-margin))\" "
                + "height=\"\(plotBottom - top)\" fill=\"#e8f4ea\"/>"
        }
        svg += "<line x1=\"\(px(0))\" x2=\"\(px(0))\" y1=\"\(top)\" y2=\"\(plotBottom)\" stroke=\"#888\"/>"
        for x in ticks(low, high) {
            svg +=
                "<text x=\"\(px(x))\" y=\"\(plotBottom + 16)\" text-anchor=\"middle\" class=\"tick\">"
                + "\(label(x))</text>"
        }
        svg +=
            "<text x=\"\(left + plotWidth / 2)\" y=\"\(plotBottom + 36)\" text-anchor=\"middle\" "
            + "class=\"axis\">\(escape(xLabel))</text>"
        for (i, row) in rows.enumerated() {
            let y = top + (Double(i) + 0.5) * rowHeight
            svg +=
                "<text x=\"\(left - 8)\" y=\"\(y + 4)\" text-anchor=\"end\" class=\"tick\">"
                + "\(escape(row.label))</text>"
            let (x1, x2) = (px(row.lower.isFinite ? row.lower : low), px(row.upper.isFinite ? row.upper : high))
            svg +=
                "<line x1=\"\(x1)\" x2=\"\(x2)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"\(row.colour)\" "
                + "stroke-width=\"3\"/>"
            if !row.lower.isFinite { svg += "<text x=\"\(x1)\" y=\"\(y + 4)\" class=\"tick\">◀</text>" }
            if !row.upper.isFinite {
                svg += "<text x=\"\(x2)\" y=\"\(y + 4)\" text-anchor=\"end\" class=\"tick\">▶</text>"
            }
            if row.effect.isFinite {
                svg += "<circle cx=\"\(px(row.effect))\" cy=\"\(y)\" r=\"4\" fill=\"\(row.colour)\"/>"
            }
        }
        return svg + "</svg>"
    }
}
