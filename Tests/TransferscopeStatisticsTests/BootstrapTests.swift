import Testing
import TransferscopeCore
import TransferscopeStatistics

/// Percentile bootstrap intervals over items.
@Suite("Statistics: bootstrap")
struct BootstrapTests {
    /// n standard normal values scaled to mean `mean` and standard deviation `sd`.
    static func normalSample(_ n: Int, mean: Double, sd: Double, seed: UInt64) -> [Double] {
        var generator = RandomGenerator(seed: seed)
        return (0..<n).map { _ in mean + sd * generator.nextNormal() }
    }

    @Test("On 2,000 normal values the interval is close to mean +- 1.96 s / sqrt(n)")
    func normalMean() {
        let values = Self.normalSample(2000, mean: 1, sd: 2, seed: 7)
        let estimate = Bootstrap.mean(values, resamples: 2000, seed: 11)
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let s = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        let halfWidth = 1.96 * s / n.squareRoot()  // about 0.088
        // Tolerance: 10% of the half-width. With B = 2000 the Monte Carlo error of a 2.5%
        // quantile is about 0.04 standard errors (0.02 half-widths), and the bootstrap's own
        // n / (n - 1) and skewness terms are far smaller at n = 2000.
        #expect(abs(estimate.effect - mean) < 1e-12)
        #expect(abs(estimate.interval.lower - (mean - halfWidth)) < 0.1 * halfWidth)
        #expect(abs(estimate.interval.upper - (mean + halfWidth)) < 0.1 * halfWidth)
        #expect(estimate.n == 2000 && estimate.method == .bootstrapPercentile)
    }

    @Test("The same seed gives the same bits; another seed another interval")
    func seeded() {
        let values = Self.normalSample(300, mean: 0, sd: 1, seed: 3)
        let first = Bootstrap.mean(values, resamples: 300, seed: 42)
        let again = Bootstrap.mean(values, resamples: 300, seed: 42)
        let other = Bootstrap.mean(values, resamples: 300, seed: 43)
        #expect(first.interval.lower.bitPattern == again.interval.lower.bitPattern)
        #expect(first.interval.upper.bitPattern == again.interval.upper.bitPattern)
        #expect(first.interval != other.interval)
    }

    @Test("The paired bootstrap resamples items jointly: the interval of a - b equals that of the differences")
    func paired() {
        let a = Self.normalSample(400, mean: 0.2, sd: 1, seed: 5)
        let shared = Self.normalSample(400, mean: 0, sd: 1, seed: 6)
        let b = zip(a, shared).map { 0.9 * $0 + 0.1 * $1 }
        let paired = Bootstrap.pairedDifference(a, b, resamples: 500, seed: 9)
        let differences = Bootstrap.mean(zip(a, b).map { $0 - $1 }, resamples: 500, seed: 9)
        #expect(paired.interval == differences.interval && paired.method == .pairedBootstrap)
        // Strongly correlated items: far narrower than resampling a and b apart would give.
        let width = paired.interval.upper - paired.interval.lower
        let unpairedWidth = 2 * 1.96 * (2.0 / 400).squareRoot()
        #expect(width < 0.3 * unpairedWidth)
    }

    @Test("The mean's fast path gives the generic statistic's bits")
    func fastPath() {
        let values = Self.normalSample(250, mean: 0, sd: 1, seed: 12)
        let fast = Bootstrap.mean(values, resamples: 300, seed: 13)
        let generic = Bootstrap.estimate(count: values.count, resamples: 300, seed: 13) { indices in
            var sum = 0.0
            for index in indices { sum += values[index] }
            return sum / Double(indices.count)
        }
        #expect(fast == generic)
    }

    @Test("A generic statistic gets the resampled indices; too few items give an unbounded interval")
    func generic() {
        let values = Self.normalSample(500, mean: 3, sd: 1, seed: 8)
        let estimate = Bootstrap.estimate(count: values.count, resamples: 400, seed: 1) { indices in
            indices.map { values[$0] }.max() ?? .nan
        }
        #expect(estimate.effect == values.max())
        #expect(estimate.interval.upper <= estimate.effect && estimate.interval.lower > 3)
        #expect(!Bootstrap.mean([1], resamples: 100, seed: 0).interval.isBounded)
        #expect(!Bootstrap.mean([], resamples: 100, seed: 0).interval.isBounded)
        #expect(!Bootstrap.mean([1, 2, .infinity], resamples: 100, seed: 0).interval.isBounded)
    }
}
