import Testing

@testable import TransferscopeStatistics

/// The t intervals on Student's sleep data (Cushny and Peebles 1905; R's `sleep`), whose
/// intervals R's `t.test` and scipy print: extra hours of sleep under two drugs, 10 patients.
@Suite("Statistics: t intervals")
struct EstimatesTests {
    static let drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    static let drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

    @Test("One-sample t interval: t.test(sleep$extra[11:20]) gives (0.8977, 3.7623)")
    func mean() {
        let estimate = Estimates.mean(Self.drug2)
        #expect(abs(estimate.effect - 2.33) < 1e-12)
        #expect(abs(estimate.interval.lower - 0.8976775393767051) < 1e-9)
        #expect(abs(estimate.interval.upper - 3.7623224606232943) < 1e-9)
        #expect(estimate.n == 10 && estimate.method == .studentT && estimate.interval.level == 0.95)
    }

    @Test("Welch: df 17.776 and the interval (-3.3655, 0.2055) of t.test(extra ~ group, sleep)")
    func welch() {
        let estimate = Estimates.difference(Self.drug1, Self.drug2)
        #expect(abs(estimate.effect - (0.75 - 2.33)) < 1e-12)
        #expect(abs(estimate.interval.lower - -3.3654832307117104) < 1e-9)
        #expect(abs(estimate.interval.upper - 0.20548323071171137) < 1e-9)
        #expect(estimate.n == 20 && estimate.method == .welchT)
        let (_, v1) = Estimates.moments(Self.drug1)
        let (_, v2) = Estimates.moments(Self.drug2)
        let nu = Estimates.welchDegreesOfFreedom(v1 / 10, count: 10, v2 / 10, count: 10)
        #expect(abs(nu - 17.776473516178488) < 1e-9)
        // Unequal sizes and variances, by hand: v_a = 1/3, v_b = 16/5, so
        // nu = (1/3 + 3.2)^2 / ((1/3)^2 / 2 + 3.2^2 / 4) = 12.48444 / 2.61556 = 4.77315.
        let byHand = (1.0 / 3 + 3.2) * (1.0 / 3 + 3.2) / ((1.0 / 9) / 2 + 3.2 * 3.2 / 4)
        #expect(abs(Estimates.welchDegreesOfFreedom(1.0 / 3, count: 3, 3.2, count: 5) - byHand) < 1e-12)
        #expect(abs(byHand - 4.77315) < 1e-5)
    }

    @Test("Linear combination: weights (1, -1) are Welch's difference, one group is Student's mean, a trend by hand")
    func linearCombination() {
        let welch = Estimates.difference(Self.drug1, Self.drug2)
        let contrast = Estimates.linearCombination([Self.drug1, Self.drug2], weights: [1, -1])
        #expect(abs(contrast.effect - welch.effect) < 1e-12)
        #expect(abs(contrast.interval.lower - welch.interval.lower) < 1e-9)
        #expect(abs(contrast.interval.upper - welch.interval.upper) < 1e-9)
        #expect(contrast.n == 20 && contrast.method == .linearCombinationT)
        let one = Estimates.linearCombination([Self.drug2], weights: [1])
        let student = Estimates.mean(Self.drug2)
        #expect(abs(one.interval.lower - student.interval.lower) < 1e-9)
        #expect(abs(one.interval.upper - student.interval.upper) < 1e-9)
        // Three groups of two values with equal variance 0.02 (a, a +- 0.1): v_g = w^2 0.02 / 2, the
        // middle weight is 0, so se = sqrt(2 * 0.01) and nu = (0.02)^2 / (2 * 0.01^2 / 1) = 2.
        let groups = [[0.5, 0.7], [0.3, 0.5], [0.1, 0.3]]
        let trend = Estimates.linearCombination(groups, weights: Estimates.trendWeights([1, 0.5, 0]))
        #expect(abs(trend.effect - 0.4) < 1e-12)
        let half = StudentT.quantile(0.975, degreesOfFreedom: 2) * (0.02).squareRoot()
        #expect(abs(trend.interval.lower - (0.4 - half)) < 1e-9 && abs(trend.interval.upper - (0.4 + half)) < 1e-9)
        #expect(trend.n == 4)
        // A weighted group with one value says nothing about the spread.
        #expect(!Estimates.linearCombination([[0.5], [0.1, 0.3]], weights: [1, -1]).interval.isBounded)
    }

    @Test("Trend weights give the least-squares line's rise from the smallest to the largest x")
    func trendWeights() {
        let x = [0.0, 1, 3, 4]
        let y = [1.0, 2.5, 6.5, 9]
        // Least squares by hand: slope = sum (x - 2)(y - 4.75) / sum (x - 2)^2 = 20 / 10 = 2; rise over 4 = 8.
        let rise = zip(Estimates.trendWeights(x), y).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(rise - 8) < 1e-12)
        #expect(Estimates.trendWeights([2, 2, 2]) == [0, 0, 0])
    }

    @Test("Paired t: t.test(drug1, drug2, paired = TRUE) gives (-2.4599, -0.7001)")
    func paired() {
        let estimate = Estimates.pairedDifference(Self.drug1, Self.drug2)
        #expect(abs(estimate.effect - -1.58) < 1e-12)
        #expect(abs(estimate.interval.lower - -2.459885763276983) < 1e-9)
        #expect(abs(estimate.interval.upper - -0.7001142367230175) < 1e-9)
        #expect(estimate.n == 10 && estimate.method == .pairedT)
    }

    @Test("A 90% interval is narrower than the 95% one by t(0.95; 9) / t(0.975; 9)")
    func level() {
        let wide = Estimates.mean(Self.drug2, level: 0.95).interval
        let narrow = Estimates.mean(Self.drug2, level: 0.90).interval
        let ratio = (narrow.upper - narrow.lower) / (wide.upper - wide.lower)
        #expect(abs(ratio - 1.833112932656237 / 2.262157162798205) < 1e-9)
        #expect(narrow.level == 0.90)
    }

    @Test("Fewer than two values, or a non-finite one, give an unbounded interval, never a narrow one")
    func tooFew() {
        let one = Estimates.mean([0.42])
        #expect(one.effect == 0.42 && !one.interval.isBounded)
        #expect(one.interval.lower == -.infinity && one.interval.upper == .infinity)
        #expect(!Estimates.mean([]).interval.isBounded)
        #expect(!Estimates.difference([1, 2, 3], [4]).interval.isBounded)
        #expect(!Estimates.pairedDifference([1], [2]).interval.isBounded)
        #expect(!Estimates.mean([1, .nan, 3]).interval.isBounded)
        let (result, reason) = verdict(one, predicted: .greater)
        #expect(result == .inconclusive && reason.contains("no interval"))
    }
}

@Suite("Intervals over pairs of runs")
struct PairsIntervalTests {
    @Test("Pairs of k runs count as k values: wider than Welch over the pairs, equal to Welch by hand with n = k")
    func pairsCountAsRuns() {
        let a = [0.10, 0.12, 0.11, 0.15, 0.09, 0.13, 0.10, 0.14, 0.12, 0.11]  // C(5, 2) pairs of 5 runs
        let b = [0.20, 0.22, 0.25, 0.19, 0.21, 0.23, 0.24, 0.20, 0.22, 0.21]
        let naive = Estimates.difference(a, b)
        let pairs = Estimates.difference(ofPairs: a, runs: 5, b, runs: 5)
        #expect(pairs.effect == naive.effect && pairs.n == 10)
        #expect(pairs.interval.upper - pairs.interval.lower > naive.interval.upper - naive.interval.lower)
        // By hand: each group's variance over 5, Welch-Satterthwaite degrees of freedom with n = 5.
        func variance(_ v: [Double]) -> Double {
            let m = v.reduce(0, +) / Double(v.count)
            return v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)
        }
        let (vA, vB) = (variance(a) / 5, variance(b) / 5)
        let nu = (vA + vB) * (vA + vB) / (vA * vA / 4 + vB * vB / 4)
        let half = StudentT.quantile(0.975, degreesOfFreedom: nu) * (vA + vB).squareRoot()
        #expect(abs(pairs.interval.upper - (pairs.effect + half)) < 1e-12)
        // With fewer than 2 runs a side there is no interval.
        #expect(!Estimates.difference(ofPairs: a, runs: 1, b, runs: 5).interval.isBounded)
    }
}
