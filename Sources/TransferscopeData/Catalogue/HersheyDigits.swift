import Foundation
import TransferscopeCore

/// The `sketch-digits` and `sketch-letters` datasets: digits 0-9 or capitals A-Z drawn from
/// Hershey stroke fonts (Debian's hershey-fonts-data) as dark pen strokes on white, with a random
/// stroke width, a random affine transform and a smooth elastic displacement, so that each image
/// looks like a quick sketch. The letters are a source whose strokes the digits share: the
/// closest target of the default study.
public enum HersheyDigits {
    static let root = "/usr/share/hershey-fonts"
    /// The Latin and Greek text fonts (whose glyphs are ASCII 32... in order); symbol fonts are left out.
    static let fonts = [
        "cursive", "futural", "futuram", "gothgbt", "gothgrt", "gothiceng", "gothicger", "gothicita", "gothitt",
        "greek",
        "greekc", "rowmand", "rowmans", "rowmant", "scriptc", "scripts", "timesi", "timesib", "timesr", "timesrb",
    ]
    /// The side of the square sketch-digit images, in pixels (as MNIST).
    public static let side = 28
    static let trainPerClass = 600
    static let testPerClass = 100

    /// A glyph: polylines in font units (x right, y down), and its left and right margins.
    struct Glyph {
        var strokes: [[(x: Double, y: Double)]]
    }

    /// Parses a `.jhf` file: per glyph a 5-character number, a 3-character vertex count, then
    /// that many coordinate pairs as letters offset from 'R' (the first pair is the margins;
    /// " R" lifts the pen). Long glyphs wrap onto the next line.
    static func parse(_ path: String) throws -> [Glyph] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.unreadable(path: path, reason: "no such file")
        }
        let bytes = [UInt8](data).filter { $0 != 0x0a && $0 != 0x0d }
        var glyphs: [Glyph] = []
        var i = 0
        let r = Int(UInt8(ascii: "R"))
        while i + 8 <= bytes.count {
            let countText = String(decoding: bytes[(i + 5)..<(i + 8)], as: UTF8.self).trimmingCharacters(
                in: .whitespaces)
            guard let count = Int(countText), count >= 1, i + 8 + 2 * count <= bytes.count else {
                throw DataError.malformed(
                    path: path, reason: "glyph \(glyphs.count + 1) has a bad vertex count '\(countText)'")
            }
            var strokes: [[(x: Double, y: Double)]] = [[]]
            for v in 1..<count {
                let a = bytes[i + 8 + 2 * v]
                let b = bytes[i + 8 + 2 * v + 1]
                if a == 0x20 && b == UInt8(ascii: "R") {
                    strokes.append([])
                } else {
                    strokes[strokes.count - 1].append((Double(Int(a) - r), Double(Int(b) - r)))
                }
            }
            glyphs.append(Glyph(strokes: strokes.filter { !$0.isEmpty }))
            i += 8 + 2 * count
        }
        return glyphs
    }

    /// One dataset drawn from the Hershey text fonts: which glyphs are its classes, how many
    /// images per class, and the base seed of its images' streams.
    struct Alphabet {
        /// The dataset's name.
        var name: String
        /// Glyph indices of the classes in a font (ASCII code - 32), in label order.
        var glyphs: Range<Int>
        /// The class names, in label order.
        var classNames: [String]
        /// The fonts drawn from (each must have every glyph of the range).
        var fonts: [String]
        /// Training and test images per class.
        var trainPerClass: Int
        var testPerClass: Int
        /// The base seed of every image's stream (`RandomStream.catalogueSketchDigit`).
        var seed: UInt64
    }

    /// `sketch-digits`: '0'...'9' (glyphs 16...25) of all 20 text fonts, 600 + 100 per class.
    static let digits = Alphabet(
        name: "sketch-digits", glyphs: 16..<26, classNames: (0..<10).map(String.init), fonts: fonts,
        trainPerClass: trainPerClass, testPerClass: testPerClass, seed: 0x5CE7C4)

    /// `sketch-letters`: capital 'A'...'Z' (glyphs 33...58) of the 18 Latin text fonts (the Greek
    /// fonts put other letters at these codes), 1,000 + 100 per class.
    static let letters = Alphabet(
        name: "sketch-letters", glyphs: 33..<59,
        classNames: (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { String(UnicodeScalar($0)) },
        fonts: fonts.filter { !$0.hasPrefix("greek") }, trainPerClass: 1_000, testPerClass: 100, seed: 0x5CE77E)

    /// The class glyphs of every font of `alphabet` that has them all drawn.
    static func glyphs(_ alphabet: Alphabet) throws -> [[Glyph]] {
        try alphabet.fonts.compactMap { font -> [Glyph]? in
            let path = root + "/" + font + ".jhf"
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            let glyphs = try parse(path)
            guard glyphs.count >= alphabet.glyphs.upperBound else { return nil }
            let chosen = Array(glyphs[alphabet.glyphs])
            return chosen.allSatisfy { !$0.strokes.isEmpty } ? chosen : nil
        }
    }

    /// Builds `sketch-digits`.
    static func build() throws -> DatasetSplits { try build(digits) }

    /// Builds the train and test splits of `alphabet`: image i of a split is class i mod classes,
    /// drawn from a font chosen by its own stream, so every image is reproducible on its own.
    static func build(_ alphabet: Alphabet) throws -> DatasetSplits {
        let fontGlyphs = try glyphs(alphabet)
        guard fontGlyphs.count >= 4 else {
            throw DataError.malformed(
                path: root, reason: "fewer than 4 Hershey text fonts with the glyphs of \(alphabet.name) were found")
        }
        let classes = alphabet.classNames.count
        func generate(perClass: Int, split: Int) -> ImageDataset {
            let count = perClass * classes
            let images = SlotArray<[UInt8]>(count: count, initial: [])
            Parallel.forEachShare(of: count) { _, range in
                for i in range {
                    let stream = RandomStream.catalogueSketchDigit(split: split, image: i)
                    var generator = RandomGenerator(seed: alphabet.seed).derived(stream)
                    let font = Int(generator.next() % UInt64(fontGlyphs.count))
                    images[i] = render(fontGlyphs[font][i % classes], generator: &generator)
                }
            }
            return ImageDataset(
                name: alphabet.name, height: side, width: side, channels: 1, pixels: images.values.flatMap { $0 },
                labels: (0..<count).map { $0 % classes }, classNames: alphabet.classNames)
        }
        return DatasetSplits(
            train: generate(perClass: alphabet.trainPerClass, split: 1),
            test: generate(perClass: alphabet.testPerClass, split: 2))
    }

    /// Draws `glyph` fitted into the centre 20x20 box, with random affine and elastic jitter.
    static func render(_ glyph: Glyph, generator: inout RandomGenerator) -> [UInt8] {
        let points = glyph.strokes.flatMap { $0 }
        guard let minX = points.map(\.x).min(), let maxX = points.map(\.x).max(),
            let minY = points.map(\.y).min(), let maxY = points.map(\.y).max()
        else { preconditionFailure("HersheyDigits.render: a glyph without points (digitGlyphs keeps only drawn ones)") }
        let scale = 20 / max(maxX - minX, maxY - minY, 1)
        let angle = (generator.nextUniform() - 0.5) * 0.5
        let shear = (generator.nextUniform() - 0.5) * 0.5
        let zoom = 0.8 + 0.3 * generator.nextUniform()
        let (shiftX, shiftY) = ((generator.nextUniform() - 0.5) * 4, (generator.nextUniform() - 0.5) * 4)
        let width = 1.0 + 2.0 * generator.nextUniform()
        // Elastic field: a sum of two random low-frequency sinusoids per axis (amplitude ~1 px).
        let waves = (0..<8).map { _ in generator.nextUniform() }
        let centre = Double(side) / 2
        func place(_ p: (x: Double, y: Double)) -> (Double, Double) {
            let x = (p.x - (minX + maxX) / 2) * scale * zoom
            let y = (p.y - (minY + maxY) / 2) * scale * zoom
            let sx = x + shear * y
            let rx = cos(angle) * sx - sin(angle) * y + centre + shiftX
            let ry = sin(angle) * sx + cos(angle) * y + centre + shiftY
            let ex =
                1.2 * sin(rx * (0.15 + 0.2 * waves[0]) + 6.28 * waves[1]) + 0.8
                * sin(ry * (0.15 + 0.2 * waves[2]) + 6.28 * waves[3])
            let ey =
                1.2 * sin(ry * (0.15 + 0.2 * waves[4]) + 6.28 * waves[5]) + 0.8
                * sin(rx * (0.15 + 0.2 * waves[6]) + 6.28 * waves[7])
            return (rx + ex, ry + ey)
        }
        // Densify strokes before the elastic map so curves bend smoothly.
        var segments: [(Double, Double, Double, Double)] = []
        for stroke in glyph.strokes {
            var previous: (Double, Double)?
            for (a, b) in zip(stroke, stroke.dropFirst() + stroke.suffix(1)) {
                let steps = max(1, Int((hypot(b.x - a.x, b.y - a.y) * scale / 1.5).rounded(.up)))
                for s in 0..<steps {
                    let t = Double(s) / Double(steps)
                    let point = place((a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t))
                    if let previous { segments.append((previous.0, previous.1, point.0, point.1)) }
                    previous = point
                }
            }
            if let previous, stroke.count == 1 { segments.append((previous.0, previous.1, previous.0, previous.1)) }
        }
        var image = [UInt8](repeating: 255, count: side * side)
        for y in 0..<side {
            for x in 0..<side {
                let px = Double(x) + 0.5
                let py = Double(y) + 0.5
                var distance = Double.infinity
                for (x0, y0, x1, y1) in segments {
                    distance = min(distance, segmentDistance(px, py, x0, y0, x1, y1))
                }
                let ink = min(1, max(0, width / 2 + 0.5 - distance))
                image[y * side + x] = UInt8((255 * (1 - ink)).rounded())
            }
        }
        return image
    }

    static func segmentDistance(_ px: Double, _ py: Double, _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double)
        -> Double
    {
        let (dx, dy) = (x1 - x0, y1 - y0)
        let length = dx * dx + dy * dy
        let t = length > 0 ? min(1, max(0, ((px - x0) * dx + (py - y0) * dy) / length)) : 0
        return hypot(px - (x0 + t * dx), py - (y0 + t * dy))
    }
}
