import Foundation
import Testing
import TransferscopeCore

@testable import TransferscopeData

/// The catalogue's builders beyond parsing (issue 17): the geometry of the sketch-digit renderer
/// and the near-duplicate hash of the clip-art builder, on inputs whose answers are known.
@Suite("Catalogue builders")
struct CatalogueBuilderTests {
    @Test(
        """
        Distance from a point to a segment: perpendicular inside, to the nearer end outside, to the point when \
        degenerate
        """
    )
    func segmentDistance() {
        #expect(HersheyDigits.segmentDistance(1, 1, 0, 0, 2, 0) == 1)
        #expect(HersheyDigits.segmentDistance(3, 0, 0, 0, 2, 0) == 1)
        #expect(HersheyDigits.segmentDistance(-3, -4, 0, 0, 2, 0) == 5)
        #expect(HersheyDigits.segmentDistance(4, 5, 1, 1, 1, 1) == 5)
    }

    @Test("sketch-letters: capitals A-Z at ASCII 65-90 of the Latin fonts; sketch-digits keeps its glyphs and seed")
    func alphabets() throws {
        let letters = HersheyDigits.letters
        #expect(letters.classNames.count == 26 && letters.classNames.first == "A" && letters.classNames.last == "Z")
        // Glyph i of a font is ASCII 32 + i.
        #expect(letters.glyphs == (65 - 32)..<(91 - 32) && letters.glyphs.count == letters.classNames.count)
        #expect(!letters.fonts.isEmpty && letters.fonts.allSatisfy { !$0.hasPrefix("greek") })
        #expect(letters.seed != HersheyDigits.digits.seed)
        // The digits as they were before the letters came: '0'...'9', all 20 fonts, seed 0x5CE7C4.
        let digits = HersheyDigits.digits
        #expect(digits.glyphs == (48 - 32)..<(58 - 32) && digits.fonts == HersheyDigits.fonts)
        #expect(digits.seed == 0x5CE7C4 && digits.trainPerClass == 600 && digits.testPerClass == 100)
        guard FileManager.default.fileExists(atPath: HersheyDigits.root) else {
            print("sketch-letters: \(HersheyDigits.root) is not installed here; the fonts themselves are not checked")
            return
        }
        let fonts = try HersheyDigits.glyphs(letters)
        #expect(fonts.count == letters.fonts.count && fonts.allSatisfy { $0.count == 26 })
    }

    @Test("A rendered glyph is dark ink on white, centred, and drawn along its strokes")
    func render() {
        // A 'T': a horizontal bar on top, a vertical stem below its middle.
        let glyph = HersheyDigits.Glyph(strokes: [[(-8, -12), (8, -12)], [(0, -12), (0, 9)]])
        let side = HersheyDigits.side
        for seed: UInt64 in 0..<5 {
            var generator = RandomGenerator(seed: seed)
            let image = HersheyDigits.render(glyph, generator: &generator)
            #expect(image.count == side * side)
            // Corners are paper white; there is ink.
            for corner in [0, side - 1, side * (side - 1), side * side - 1] { #expect(image[corner] == 255) }
            let ink = image.enumerated().filter { $0.element < 128 }
            #expect(ink.count > 20, "seed \(seed): \(ink.count) inked pixels")
            // The glyph is fitted into the centre box: its ink's centre is within the jitter of
            // the image centre (shift <= 2 px, elastic <= 2 px, rotation and shear of a centred box).
            let (meanX, meanY) = ink.reduce((0.0, 0.0)) {
                ($0.0 + Double($1.offset % side), $0.1 + Double($1.offset / side))
            }
            let centre = Double(side - 1) / 2
            #expect(
                abs(meanX / Double(ink.count) - centre) < 5 && abs(meanY / Double(ink.count) - centre) < 6,
                "seed \(seed)")
            // The top holds the bar: the most inked row lies in the upper half.
            let rows = (0..<side).map { y in (0..<side).filter { image[y * side + $0] < 128 }.count }
            #expect(rows.max().map { top in rows.firstIndex(of: top)! < side / 2 } == true, "seed \(seed): \(rows)")
        }
    }

    @Test(
        "The average hash: one bit per 2x2 block brighter than the mean; a copy is at distance 0, the negative at 256")
    func averageHash() {
        let side = ClipartBuilder.side
        // Left half black, right half white: exactly the right half's blocks are above the mean.
        var rgb = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<side { for x in (side / 2)..<side { for c in 0..<3 { rgb[(y * side + x) * 3 + c] = 255 } } }
        let hash = ClipartBuilder.averageHash(rgb)
        for i in 0..<256 {
            let set = hash[i / 64] & (1 << UInt64(i % 64)) != 0
            #expect(set == (i % 16 >= 8), "block \(i)")
        }
        #expect(ClipartBuilder.hammingDistance(hash, ClipartBuilder.averageHash(rgb)) == 0)
        #expect(ClipartBuilder.hammingDistance(hash, ClipartBuilder.averageHash(rgb.map { 255 - $0 })) == 256)
    }
}
