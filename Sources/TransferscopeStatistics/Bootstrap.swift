import TransferscopeCore

/// Percentile bootstrap intervals over items (test images: hundreds to thousands), for effects
/// whose uncertainty comes from which items happened to be measured (Efron and Tibshirani 1993,
/// "An Introduction to the Bootstrap", ch. 13).
///
/// Each of B resamples draws `count` item indices uniformly with replacement and recomputes the
/// statistic; the interval is the alpha/2 and 1 - alpha/2 quantiles of the B values (linear
/// interpolation between order statistics, Hyndman and Fan 1996 type 7). Resample r draws from
/// `RandomGenerator(seed: seed).derived(.resample(r))`, so the same seed gives the same bits.
/// Efron and Tibshirani (ch. 19) advise B >= 1000 for percentile intervals; the default is 2000.
///
/// With fewer than two items, or a statistic that is not a finite number, the interval is
/// unbounded (-inf, +inf). Cost: O(B (count + cost of the statistic)) plus O(B log B).
public enum Bootstrap {
    /// The mean of `values` with its percentile bootstrap interval. The same numbers as
    /// `estimate` with a mean statistic, bit for bit, without building the index arrays.
    public static func mean(
        _ values: [Double], resamples: Int = 2000, level: Double = 0.95, seed: UInt64
    ) -> Estimate {
        let count = values.count
        let sum = values.reduce(0, +)
        return percentiles(
            count: count, effect: count > 0 ? sum / Double(count) : .nan, resamples: resamples, level: level, seed: seed
        ) { generator in
            let uniform = UniformIndex(below: count)
            var sum = 0.0
            for _ in 0..<count { sum += values[uniform.next(using: &generator)] }
            return sum / Double(count)
        }
    }

    /// mean(a) - mean(b) for values measured on the same items (the per-image correctness of two
    /// models): the items are resampled jointly, so the interval keeps the pairing.
    public static func pairedDifference(
        _ a: [Double], _ b: [Double], resamples: Int = 2000, level: Double = 0.95, seed: UInt64
    ) -> Estimate {
        precondition(a.count == b.count, "Bootstrap.pairedDifference: \(a.count) values paired with \(b.count)")
        var result = mean(zip(a, b).map { $0 - $1 }, resamples: resamples, level: level, seed: seed)
        result.method = .pairedBootstrap
        return result
    }

    /// Any statistic of `count` items, with its percentile interval: `statistic` receives the
    /// item indices of a sample (0..<count itself for the effect, then each resample's `count`
    /// indices drawn with replacement) and returns a number, such as a barrier height computed
    /// from per-image losses.
    public static func estimate(
        count: Int, resamples: Int = 2000, level: Double = 0.95, seed: UInt64,
        statistic: ([Int]) -> Double
    ) -> Estimate {
        precondition(count >= 0, "Bootstrap: the item count must not be negative, got \(count)")
        var indices = [Int](repeating: 0, count: count)
        return percentiles(
            count: count, effect: count > 0 ? statistic(Array(0..<count)) : .nan, resamples: resamples, level: level,
            seed: seed
        ) { generator in
            let uniform = UniformIndex(below: count)
            for i in 0..<count { indices[i] = uniform.next(using: &generator) }
            return statistic(indices)
        }
    }

    /// The percentile interval of `resample`'s values, resample r drawing from
    /// `RandomGenerator(seed: seed).derived(.resample(r))`; unbounded when count < 2 or a value is
    /// not finite.
    private static func percentiles(
        count: Int, effect: Double, resamples: Int, level: Double, seed: UInt64,
        resample: (inout RandomGenerator) -> Double
    ) -> Estimate {
        Estimates.checkLevel(level)
        precondition(resamples > 0, "Bootstrap: the number of resamples must be positive, got \(resamples)")
        let unbounded = Estimate(
            effect: effect, interval: .unbounded(level: level), n: count, method: .bootstrapPercentile)
        guard count >= 2, effect.isFinite else { return unbounded }
        let base = RandomGenerator(seed: seed)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        for r in 0..<resamples {
            var generator = base.derived(.resample(r))
            let value = resample(&generator)
            guard value.isFinite else { return unbounded }
            values.append(value)
        }
        values.sort()
        let alpha = 1 - level
        let interval = Interval(
            lower: quantile(sorted: values, alpha / 2), upper: quantile(sorted: values, 1 - alpha / 2), level: level)
        return Estimate(effect: effect, interval: interval, n: count, method: .bootstrapPercentile)
    }

    /// The p-quantile of sorted values, interpolating linearly between order statistics
    /// (Hyndman and Fan 1996, type 7: h = (B - 1) p).
    static func quantile(sorted values: [Double], _ p: Double) -> Double {
        let h = Double(values.count - 1) * p
        let below = Int(h.rounded(.down))
        guard below + 1 < values.count else { return values[values.count - 1] }
        return values[below] + (h - Double(below)) * (values[below + 1] - values[below])
    }
}
