import Testing
import TransferscopeCore
import TransferscopeStatistics

/// Calibration by simulation: with no effect, a 95% interval makes a directional prediction
/// "hold" about 2.5% of the time per direction (5% for either), and a clear effect is found.
///
/// Each check runs `cases` seeded noise-only cases and requires the false "holds" rate to be at
/// most 5% + 3 Monte Carlo standard errors (sqrt(0.05 * 0.95 / cases): 7.07% for 1,000 cases),
/// for each direction and for both together. The rate for both together must also be at least
/// 1%, so over-wide intervals (a test that can never fire) fail too (Welch's interval is
/// conservative at n = 3 + 3 with equal spreads: about 3.4% in both directions by simulation).
/// A "clear effect" check then asks for "holds" in at least 80% of 200 cases.
@Suite("Statistics: calibration by simulation")
struct CalibrationTests {
    static let cases = 1000
    static let bound = 0.05 + 3 * (0.05 * 0.95 / Double(cases)).squareRoot()

    /// The share of `cases` estimates (each drawn by `draw` from one seeded generator) whose
    /// verdict on `.greater` and on `.less` is "holds".
    static func falseHolds(
        cases: Int = cases, seed: UInt64, _ draw: (inout RandomGenerator) -> Estimate
    ) -> (greater: Double, less: Double) {
        var generator = RandomGenerator(seed: seed)
        var (greater, less) = (0, 0)
        for _ in 0..<cases {
            let estimate = draw(&generator)
            if verdict(estimate, predicted: .greater).0 == .holds { greater += 1 }
            if verdict(estimate, predicted: .less).0 == .holds { less += 1 }
        }
        return (Double(greater) / Double(cases), Double(less) / Double(cases))
    }

    static func check(_ rates: (greater: Double, less: Double), _ what: String) {
        print("calibration: \(what): false holds \(rates.greater) (greater), \(rates.less) (less), n = \(cases) cases")
        #expect(rates.greater <= bound, "\(what): \(rates.greater) false holds for `greater`")
        #expect(rates.less <= bound, "\(what): \(rates.less) false holds for `less`")
        #expect(rates.greater + rates.less <= bound, "\(what)")
        #expect(rates.greater + rates.less >= 0.01, "\(what): intervals too wide")
    }

    static func normals(_ n: Int, mean: Double = 0, sd: Double = 1, _ generator: inout RandomGenerator) -> [Double] {
        (0..<n).map { _ in mean + sd * generator.nextNormal() }
    }

    @Test("Student t on the mean of n = 3 and n = 5 seeds", arguments: [3, 5])
    func studentT(n: Int) {
        Self.check(Self.falseHolds(seed: UInt64(n)) { Estimates.mean(Self.normals(n, &$0)) }, "mean, n = \(n)")
        let power = Self.falseHolds(cases: 200, seed: 100) { Estimates.mean(Self.normals(n, mean: 5, &$0)) }
        #expect(power.greater >= 0.8, "power at 5 sd, n = \(n): \(power.greater)")
    }

    @Test("Welch on n = 3 and n = 5 seeds per group, equal and unequal spreads", arguments: [3, 5])
    func welch(n: Int) {
        Self.check(
            Self.falseHolds(seed: 10 + UInt64(n)) { Estimates.difference(Self.normals(n, &$0), Self.normals(n, &$0)) },
            "Welch, n = \(n) + \(n)")
        Self.check(
            Self.falseHolds(seed: 20 + UInt64(n)) {
                Estimates.difference(Self.normals(n, &$0), Self.normals(n, sd: 3, &$0))
            }, "Welch, n = \(n) + \(n), sd 1 and 3")
        let power = Self.falseHolds(cases: 200, seed: 200) {
            Estimates.difference(Self.normals(n, mean: 5, &$0), Self.normals(n, &$0))
        }
        #expect(power.greater >= 0.8, "power at 5 sd, n = \(n) + \(n): \(power.greater)")
    }

    @Test("Paired t on n = 3 and n = 5 pairs sharing a seed effect", arguments: [3, 5])
    func pairedT(n: Int) {
        func pair(_ shift: Double, _ generator: inout RandomGenerator) -> Estimate {
            let shared = Self.normals(n, sd: 5, &generator)
            let a = shared.map { $0 + shift + generator.nextNormal() }
            let b = shared.map { $0 + generator.nextNormal() }
            return Estimates.pairedDifference(a, b)
        }
        Self.check(Self.falseHolds(seed: 30 + UInt64(n)) { pair(0, &$0) }, "paired t, n = \(n)")
        let power = Self.falseHolds(cases: 200, seed: 300) { pair(6, &$0) }
        #expect(power.greater >= 0.8, "power at 6 sd of the noise, n = \(n): \(power.greater)")
    }

    @Test("Paired bootstrap on the per-image correctness of two models, 500 images")
    func pairedBootstrap() {
        /// Two models' 0/1 correctness on 500 images of varied difficulty (correlated mistakes).
        func correctness(accuracyGap: Double, _ generator: inout RandomGenerator) -> Estimate {
            var a: [Double] = []
            var b: [Double] = []
            for _ in 0..<500 {
                let easiness = generator.nextUniform()
                a.append(generator.nextUniform() < 0.35 + 0.6 * easiness + accuracyGap ? 1 : 0)
                b.append(generator.nextUniform() < 0.35 + 0.6 * easiness ? 1 : 0)
            }
            return Bootstrap.pairedDifference(a, b, resamples: 500, seed: generator.next())
        }
        Self.check(Self.falseHolds(seed: 40) { correctness(accuracyGap: 0, &$0) }, "paired bootstrap, 500 images")
        let power = Self.falseHolds(cases: 100, seed: 400) { correctness(accuracyGap: 0.1, &$0) }
        #expect(power.greater >= 0.8, "power at a 10-point gap: \(power.greater)")
    }

    @Test("Permutation test on n = 5 per group: p <= 0.05 at most 5% of the time")
    func permutation() {
        var generator = RandomGenerator(seed: 50)
        var rejections = 0
        for _ in 0..<Self.cases {
            let p = PermutationTest.twoSample(Self.normals(5, &generator), Self.normals(5, &generator), seed: 0)
            if p <= 0.05 { rejections += 1 }
        }
        let rate = Double(rejections) / Double(Self.cases)
        print("calibration: permutation test, n = 5 + 5: p <= 0.05 in \(rate) of \(Self.cases) cases")
        #expect(rate <= Self.bound && rate >= 0.02)
    }

    @Test("TOST at 90%: an effect exactly at the margin is called equivalent at most 5% of the time")
    func tost() {
        var generator = RandomGenerator(seed: 60)
        var holds = 0
        for _ in 0..<Self.cases {
            let estimate = Estimates.mean(Self.normals(5, mean: 1, &generator), level: 0.90)
            if verdict(estimate, predicted: .equivalent(margin: 1)).0 == .holds { holds += 1 }
        }
        let rate = Double(holds) / Double(Self.cases)
        print("calibration: TOST, n = 5, effect at the margin: equivalent in \(rate) of \(Self.cases) cases")
        #expect(rate <= Self.bound)
    }
}
