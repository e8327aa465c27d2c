import Foundation

/// Small, dependency-free SVG charts for the report: line charts with optional bands and
/// heatmaps, with labelled axes. Colours are the Okabe-Ito palette (readable with colour blindness).
public enum SVGChart {
    /// Okabe-Ito blue, for P-T (fine-tuned) curves.
    public static let ptColour = "#0072B2"  // blue: P-T
    /// Okabe-Ito orange, for RI-T (random initialization) curves.
    public static let ritColour = "#E69F00"  // orange: RI-T
    /// Okabe-Ito bluish green, for the pre-trained source P.
    public static let sourceColour = "#009E73"  // green: P
    /// Okabe-Ito reddish purple, for comparisons between a P-T and an RI-T run.
    public static let crossColour = "#CC79A7"  // purple: P-T/RI-T
    /// Okabe-Ito vermillion, for RI-T runs from one shared initialization (a control).
    public static let sameInitColour = "#D55E00"  // vermillion: RI-T same init
    /// Okabe-Ito sky blue, for RI-T runs at P-T's learning rate (a control).
    public static let scratchAtFineTuneRateColour = "#56B4E9"  // sky blue: RI-T at P-T's rate

    /// One line of a chart, with an optional band (low, high) at the same x values.
    public struct Series {
        /// The series' name in the legend.
        public var label: String
        /// Stroke colour, as CSS text (e.g. `SVGChart.ptColour`).
        public var colour: String
        /// (x, y) points in data units, in drawing order.
        public var points: [(Double, Double)]
        /// (x, low, high) of a shaded band behind the line, or nil for none.
        public var band: [(Double, Double, Double)]?
        /// Whether the line is drawn dashed.
        public var dashed: Bool
        /// A solid line with no band unless `band` or `dashed` is given.
        public init(
            label: String, colour: String, points: [(Double, Double)], band: [(Double, Double, Double)]? = nil,
            dashed: Bool = false
        ) {
            self.label = label
            self.colour = colour
            self.points = points
            self.band = band
            self.dashed = dashed
        }
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// "Nice" tick values covering [low, high].
    static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        guard high > low else { return [low] }
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var values: [Double] = []
        var v = ceil(low / step) * step
        while v <= high + step * 1e-9 {
            values.append(v)
            v += step
        }
        return values
    }

    static func label(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e6 { return String(Int(value)) }
        return String(format: abs(value) < 0.1 ? "%.3f" : "%.2f", value)
    }

    /// A line chart; `categories` replaces numeric x ticks with labels at x = 0, 1, 2, ...
    public static func lines(
        _ series: [Series], xLabel: String, yLabel: String, yRange: (Double, Double)? = nil,
        categories: [String]? = nil,
        width: Int = 560, height: Int = 300
    ) -> String {
        // Many category labels are set at an angle so they do not overlap.
        let slanted = (categories?.count ?? 0) > 6
        let (left, right, top, bottom) = (62.0, 150.0, 14.0, slanted ? 78.0 : 46.0)
        let plotWidth = Double(width) - left - right
        let plotHeight = Double(height) - top - bottom
        let xs = series.flatMap { $0.points.map(\.0) }
        let ys = series.flatMap { $0.points.map(\.1) + ($0.band?.flatMap { [$0.1, $0.2] } ?? []) }.filter(\.isFinite)
        guard let xMin = xs.min(), let xMax = xs.max(), var yMin = ys.min(), var yMax = ys.max() else {
            return "<p class=\"empty\">No data for this figure.</p>"
        }
        if let yRange { (yMin, yMax) = yRange }
        if yMax - yMin < 1e-9 {
            yMin -= 0.5
            yMax += 0.5
        }
        let xSpan = max(xMax - xMin, 1e-9)
        let ySpan = yMax - yMin
        func px(_ x: Double) -> Double { left + (x - xMin) / xSpan * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (min(max(y, yMin), yMax) - yMin) / ySpan) * plotHeight }
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" "
            + "height=\"\(height)\" role=\"img\">"
        svg +=
            "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"#fff\" "
            + "stroke=\"#999\"/>"
        for y in ticks(yMin, yMax) {
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(py(y))\" y2=\"\(py(y))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(py(y) + 4)\" text-anchor=\"end\" class=\"tick\">\(label(y))</text>"
        }
        if let categories {
            for (i, name) in categories.enumerated() {
                if slanted {
                    svg +=
                        "<text transform=\"translate(\(px(Double(i))),\(top + plotHeight + 12)) rotate(40)\" "
                        + "class=\"tick\">\(escape(name))</text>"
                } else {
                    svg +=
                        "<text x=\"\(px(Double(i)))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\" "
                        + "class=\"tick\">\(escape(name))</text>"
                }
            }
        } else {
            for x in ticks(xMin, xMax) {
                svg +=
                    "<text x=\"\(px(x))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\" "
                    + "class=\"tick\">\(label(x))</text>"
            }
        }
        svg +=
            "<text x=\"\(left + plotWidth / 2)\" y=\"\(Double(height) - 8)\" text-anchor=\"middle\" "
            + "class=\"axis\">\(escape(xLabel))</text>"
        svg +=
            "<text transform=\"translate(14,\(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\" "
            + "class=\"axis\">\(escape(yLabel))</text>"
        for s in series {
            if let band = s.band, band.count > 1 {
                let upper = band.map { "\(px($0.0)),\(py($0.2))" }
                let lower = band.reversed().map { "\(px($0.0)),\(py($0.1))" }
                svg +=
                    "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(s.colour)\" "
                    + "opacity=\"0.18\"/>"
            }
            let path = s.points.filter { $0.1.isFinite }.map { "\(px($0.0)),\(py($0.1))" }.joined(separator: " ")
            svg +=
                "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(s.colour)\" "
                + "stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"5,4\"" : "")/>"
            for p in s.points where p.1.isFinite {
                svg += "<circle cx=\"\(px(p.0))\" cy=\"\(py(p.1))\" r=\"2.5\" fill=\"\(s.colour)\"/>"
            }
        }
        var legendY = top + 8
        var seen = Set<String>()
        for s in series where !seen.contains(s.label) {
            seen.insert(s.label)
            svg +=
                "<line x1=\"\(left + plotWidth + 10)\" x2=\"\(left + plotWidth + 30)\" y1=\"\(legendY)\" "
                + "y2=\"\(legendY)\" stroke=\"\(s.colour)\" "
                + "stroke-width=\"3\"\(s.dashed ? " stroke-dasharray=\"5,4\"" : "")/>"
            svg +=
                "<text x=\"\(left + plotWidth + 35)\" y=\"\(legendY + 4)\" class=\"legend\">\(escape(s.label))</text>"
            legendY += 18
        }
        return svg + "</svg>"
    }

    /// A heatmap of `values` [rows][columns] in [low, high] (light to dark blue), with labels and a scale.
    public static func heatmap(
        _ values: [[Double]], rows: [String], columns: [String], low: Double, high: Double, xLabel: String,
        yLabel: String,
        cell: Int = 26
    ) -> String {
        let left = 90.0
        let top = 10.0
        let bottom = 84.0
        let width = Int(left) + columns.count * cell + 90
        let height = Int(top + bottom) + rows.count * cell
        func colour(_ v: Double) -> String {
            guard v.isFinite else { return "#ccc" }
            let t = min(1, max(0, (v - low) / max(high - low, 1e-12)))
            // From #f7fbff to #08306b.
            let (r, g, b) = (247 - t * (247 - 8), 251 - t * (251 - 48), 255 - t * (255 - 107))
            return String(format: "#%02x%02x%02x", Int(r), Int(g), Int(b))
        }
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" "
            + "height=\"\(height)\" role=\"img\">"
        for (i, row) in values.enumerated() {
            for (j, v) in row.enumerated() {
                let x = left + Double(j * cell)
                let y = top + Double(i * cell)
                svg +=
                    "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" "
                    + "fill=\"\(colour(v))\"><title>\(escape(rows[i])) / \(escape(columns[j])): "
                    + "\(v.isFinite ? String(format: "%.3f", v) : "n/a")</title></rect>"
            }
            svg +=
                "<text x=\"\(left - 4)\" y=\"\(top + Double(i * cell) + Double(cell) / 2 + 4)\" "
                + "text-anchor=\"end\" class=\"tick\">\(escape(rows[i]))</text>"
        }
        for (j, name) in columns.enumerated() {
            let x = left + Double(j * cell) + Double(cell) / 2
            let y = top + Double(rows.count * cell) + 6
            svg += "<text transform=\"translate(\(x),\(y)) rotate(60)\" class=\"tick\">\(escape(name))</text>"
        }
        let scaleX = left + Double(columns.count * cell) + 20
        for k in 0..<10 {
            let v = high - (high - low) * Double(k) / 9
            svg +=
                "<rect x=\"\(scaleX)\" y=\"\(top + Double(k) * 12)\" width=\"14\" height=\"12\" fill=\"\(colour(v))\"/>"
        }
        svg += "<text x=\"\(scaleX + 18)\" y=\"\(top + 10)\" class=\"tick\">\(label(high))</text>"
        svg += "<text x=\"\(scaleX + 18)\" y=\"\(top + 118)\" class=\"tick\">\(label(low))</text>"
        svg +=
            "<text x=\"\(left + Double(columns.count * cell) / 2)\" y=\"\(Double(height) - 4)\" "
            + "text-anchor=\"middle\" class=\"axis\">\(escape(xLabel))</text>"
        svg +=
            "<text transform=\"translate(14,\(top + Double(rows.count * cell) / 2)) rotate(-90)\" "
            + "text-anchor=\"middle\" class=\"axis\">\(escape(yLabel))</text>"
        return svg + "</svg>"
    }
}
