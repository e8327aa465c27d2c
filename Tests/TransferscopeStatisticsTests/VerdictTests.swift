import Foundation
import Testing
import TransferscopeStatistics

/// The one verdict rule and equivalence.
@Suite("Statistics: verdicts")
struct VerdictTests {
    static func estimate(_ lower: Double, _ upper: Double, level: Double = 0.95, n: Int = 3) -> Estimate {
        Estimate(
            effect: (lower + upper) / 2, interval: Interval(lower: lower, upper: upper, level: level), n: n,
            method: .studentT)
    }

    @Test("Directional predictions: the interval's side of 0 decides, with the reason in words")
    func directional() {
        #expect(verdict(Self.estimate(0.2, 1.4), predicted: .greater).0 == .holds)
        #expect(verdict(Self.estimate(0.2, 1.4), predicted: .less).0 == .doesNotHold)
        #expect(verdict(Self.estimate(-1.4, -0.2), predicted: .less).0 == .holds)
        #expect(verdict(Self.estimate(-1.4, -0.2), predicted: .greater).0 == .doesNotHold)
        let (result, reason) = verdict(Self.estimate(-0.8, 2.1), predicted: .greater)
        #expect(result == .inconclusive)
        #expect(reason == "the 95% interval (-0.8, 2.1) includes 0; n = 3, studentT")
        // An interval that ends at 0 does not exclude it.
        #expect(verdict(Self.estimate(0, 1), predicted: .greater).0 == .inconclusive)
        #expect(Verdict.doesNotHold.rawValue == "does not hold")
    }

    @Test("Equivalence: tiny and tight holds, large does not hold, wide is inconclusive")
    func equivalence() {
        let margin = Equivalence.accuracyMargin(testImages: 10_000, accuracy: 0.9)
        #expect(abs(margin - 2 * (2 * 0.09 / 10_000).squareRoot()) < 1e-15)  // 0.0085
        // A 0.1-point difference known to +-0.3 points.
        let tiny = Self.estimate(-0.002, 0.004, level: 0.90)
        #expect(Equivalence.tost(tiny, margin: margin))
        #expect(verdict(tiny, predicted: .equivalent(margin: margin)).0 == .holds)
        // A 3-point difference known to +-0.5 points.
        let large = Self.estimate(0.025, 0.035, level: 0.90)
        #expect(!Equivalence.tost(large, margin: margin))
        #expect(verdict(large, predicted: .equivalent(margin: margin)).0 == .doesNotHold)
        // No difference measured, but +-2 points of uncertainty.
        let wide = Self.estimate(-0.02, 0.02, level: 0.90)
        #expect(!Equivalence.tost(wide, margin: margin))
        let (result, reason) = verdict(wide, predicted: .equivalent(margin: margin))
        #expect(result == .inconclusive && reason.contains("margin"))
        // Unbounded (one seed): never equivalent.
        let one = Estimates.mean([0.001], level: 0.90)
        #expect(!Equivalence.tost(one, margin: margin))
        #expect(verdict(one, predicted: .equivalent(margin: margin)).0 == .inconclusive)
    }

    @Test("Estimates round-trip through JSON, unbounded intervals included")
    func codable() throws {
        let estimate = Estimates.mean([1])
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let decoded = try decoder.decode(Estimate.self, from: try encoder.encode(estimate))
        #expect(decoded == estimate)
        #expect(try decoder.decode(Verdict.self, from: try encoder.encode(Verdict.doesNotHold)) == .doesNotHold)
    }

    @Test("An equivalence margin that could not be set (zero or NaN) is inconclusive, never a trap")
    func unusableMargin() {
        let estimate = Estimates.mean([0.01, 0.02, 0.015], level: 0.90)
        for margin in [0.0, Double.nan, -1] {
            let (verdict, reason) = TransferscopeStatistics.verdict(estimate, predicted: .equivalent(margin: margin))
            #expect(verdict == .inconclusive && reason.contains("no equivalence margin"), "\(margin): \(reason)")
        }
    }
}
