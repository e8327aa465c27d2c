/// Confidence intervals for a few values: effects over seeds or pairs of runs (n often 2 to 5),
/// from Student's t distribution, which is exact for normal data at any n.
///
/// With fewer than two values in a group (no spread to estimate), or a value that is not a finite
/// number, the interval is unbounded, (-inf, +inf): the data say nothing about the uncertainty,
/// and no narrow interval is invented. Equal values give a zero-width interval, which is what the
/// formula says; a verdict on it rests on the data alone.
public enum Estimates {
    /// The mean of `values` with its Student t interval (Student 1908):
    ///
    ///     mean +- t(1 - alpha / 2; n - 1) s / sqrt(n),   alpha = 1 - level,
    ///
    /// s the sample standard deviation (divisor n - 1). O(n).
    public static func mean(_ values: [Double], level: Double = 0.95) -> Estimate {
        checkLevel(level)
        let (mean, variance) = moments(values)
        let n = values.count
        guard n >= 2, values.allSatisfy(\.isFinite) else {
            return Estimate(effect: mean, interval: .unbounded(level: level), n: n, method: .studentT)
        }
        let interval = symmetric(
            around: mean, standardError: (variance / Double(n)).squareRoot(), degreesOfFreedom: Double(n - 1),
            level: level)
        return Estimate(effect: mean, interval: interval, n: n, method: .studentT)
    }

    /// mean(a) - mean(b) for two independent groups, with Welch's t interval (Welch 1947), which
    /// does not assume equal variances:
    ///
    ///     v_a = s_a^2 / n_a,   v_b = s_b^2 / n_b,   se = sqrt(v_a + v_b),
    ///     nu = (v_a + v_b)^2 / (v_a^2 / (n_a - 1) + v_b^2 / (n_b - 1))   (Welch-Satterthwaite),
    ///     difference +- t(1 - alpha / 2; nu) se.
    ///
    /// `n` is n_a + n_b. When both groups have zero spread, nu is n_a + n_b - 2 (the interval has
    /// zero width anyway). O(n_a + n_b).
    public static func difference(_ a: [Double], _ b: [Double], level: Double = 0.95) -> Estimate {
        checkLevel(level)
        let (meanA, varianceA) = moments(a)
        let (meanB, varianceB) = moments(b)
        let effect = meanA - meanB
        let n = a.count + b.count
        guard a.count >= 2, b.count >= 2, a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else {
            return Estimate(effect: effect, interval: .unbounded(level: level), n: n, method: .welchT)
        }
        let vA = varianceA / Double(a.count)
        let vB = varianceB / Double(b.count)
        let nu = welchDegreesOfFreedom(vA, count: a.count, vB, count: b.count)
        let interval = symmetric(
            around: effect, standardError: (vA + vB).squareRoot(), degreesOfFreedom: nu, level: level)
        return Estimate(effect: effect, interval: interval, n: n, method: .welchT)
    }

    /// Welch's interval for statistics of pairs of runs (a distance, a barrier, a CKA between two
    /// runs): `a` holds the statistics of the pairs among `runsA` runs, `b` those among `runsB`.
    /// Pairs that share a run are not independent: the C(k, 2) pairs of k runs carry about as much
    /// information as k values, so each group's standard error and degrees of freedom use its number
    /// of runs instead of its number of pairs (with 3 runs, C(3, 2) = 3: the same n, but never more).
    /// `n` is runsA + runsB.
    public static func difference(
        ofPairs a: [Double], runs runsA: Int, _ b: [Double], runs runsB: Int, level: Double = 0.95
    ) -> Estimate {
        checkLevel(level)
        let (meanA, varianceA) = moments(a)
        let (meanB, varianceB) = moments(b)
        let effect = meanA - meanB
        let (nA, nB) = (min(runsA, a.count), min(runsB, b.count))
        guard nA >= 2, nB >= 2, a.count >= 2, b.count >= 2, a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else {
            return Estimate(effect: effect, interval: .unbounded(level: level), n: runsA + runsB, method: .welchT)
        }
        let vA = varianceA / Double(nA)
        let vB = varianceB / Double(nB)
        let nu = welchDegreesOfFreedom(vA, count: nA, vB, count: nB)
        let interval = symmetric(
            around: effect, standardError: (vA + vB).squareRoot(), degreesOfFreedom: nu, level: level)
        return Estimate(effect: effect, interval: interval, n: runsA + runsB, method: .welchT)
    }

    /// The mean of the differences a[i] - b[i] of paired values (the same seed, the same image),
    /// with the Student t interval of those differences; `n` is the number of pairs. Pairing
    /// removes what the two share, so this interval is narrower than Welch's when they correlate.
    public static func pairedDifference(_ a: [Double], _ b: [Double], level: Double = 0.95) -> Estimate {
        precondition(a.count == b.count, "Estimates.pairedDifference: \(a.count) values paired with \(b.count)")
        var estimate = mean(zip(a, b).map { $0 - $1 }, level: level)
        estimate.method = .pairedT
        return estimate
    }

    /// sum_g w_g mean(group_g) for independent groups (a contrast or trend over groups), with the
    /// Welch-Satterthwaite t interval (Satterthwaite 1946), which does not assume equal variances:
    ///
    ///     v_g = w_g^2 s_g^2 / n_g,   se = sqrt(sum_g v_g),
    ///     nu = (sum_g v_g)^2 / sum_g (v_g^2 / (n_g - 1)),
    ///     effect +- t(1 - alpha / 2; nu) se.
    ///
    /// With weights (1, -1) it is Welch's difference; with one group and weight 1, the Student t
    /// mean. A group with a non-zero weight and fewer than two values (or a non-finite value)
    /// makes the interval unbounded. `n` counts the values of the weighted groups.
    public static func linearCombination(_ groups: [[Double]], weights: [Double], level: Double = 0.95) -> Estimate {
        checkLevel(level)
        precondition(
            groups.count == weights.count,
            "Estimates.linearCombination: \(groups.count) groups, \(weights.count) weights")
        let used = zip(groups, weights).filter { $0.1 != 0 }
        var effect = 0.0
        var variances: [Double] = []
        var counts: [Int] = []
        for (values, weight) in used {
            let (mean, variance) = moments(values)
            effect += weight * mean
            variances.append(weight * weight * variance / Double(max(values.count, 1)))
            counts.append(values.count)
        }
        let n = counts.reduce(0, +)
        guard !used.isEmpty, used.allSatisfy({ $0.0.count >= 2 && $0.0.allSatisfy(\.isFinite) }) else {
            return Estimate(effect: effect, interval: .unbounded(level: level), n: n, method: .linearCombinationT)
        }
        let total = variances.reduce(0, +)
        var denominator = 0.0
        for (variance, count) in zip(variances, counts) { denominator += variance * variance / Double(count - 1) }
        let nu = denominator > 0 ? total * total / denominator : Double(n - used.count)
        let interval = symmetric(around: effect, standardError: total.squareRoot(), degreesOfFreedom: nu, level: level)
        return Estimate(effect: effect, interval: interval, n: n, method: .linearCombinationT)
    }

    /// The weights of the least-squares slope of values over positions `x`: sum_g w_g y_g is the
    /// fitted line's rise from the smallest to the largest x (so its units are the values'), with
    /// w_g = (x_g - mean x) (max x - min x) / sum (x_g - mean x)^2; all zero when x is constant.
    public static func trendWeights(_ x: [Double]) -> [Double] {
        guard let low = x.min(), let high = x.max(), high > low else { return x.map { _ in 0 } }
        let mean = x.reduce(0, +) / Double(x.count)
        let spread = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return x.map { ($0 - mean) * (high - low) / spread }
    }

    /// The Welch-Satterthwaite degrees of freedom of v_a + v_b, where v = s^2 / n of each group
    /// (n_a + n_b - 2 when both are 0).
    static func welchDegreesOfFreedom(_ vA: Double, count nA: Int, _ vB: Double, count nB: Int) -> Double {
        let denominator = vA * vA / Double(nA - 1) + vB * vB / Double(nB - 1)
        return denominator > 0 ? (vA + vB) * (vA + vB) / denominator : Double(nA + nB - 2)
    }

    /// The mean and the sample variance (divisor n - 1; 0 when n < 2; the mean is NaN when n = 0),
    /// by two passes (the second on deviations, for accuracy).
    static func moments(_ values: [Double]) -> (mean: Double, variance: Double) {
        guard !values.isEmpty else { return (.nan, 0) }
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count >= 2 else { return (mean, 0) }
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, squares / Double(values.count - 1))
    }

    /// center +- t(1 - alpha / 2; nu) se.
    private static func symmetric(
        around center: Double, standardError: Double, degreesOfFreedom nu: Double, level: Double
    ) -> Interval {
        let halfWidth = StudentT.quantile(1 - (1 - level) / 2, degreesOfFreedom: nu) * standardError
        return Interval(lower: center - halfWidth, upper: center + halfWidth, level: level)
    }

    /// A confidence level outside (0, 1) is a programmer mistake.
    static func checkLevel(_ level: Double) {
        precondition(level > 0 && level < 1, "Statistics: the confidence level must lie in (0, 1), got \(level)")
    }
}
