import TransferscopeCore

/// Permutation tests: p-values that assume only that, with no effect, the group labels are
/// exchangeable (Fisher 1935; Good 2005, "Permutation, Parametric and Bootstrap Tests of
/// Hypotheses").
public enum PermutationTest {
    /// Up to this many splits of the pooled values are enumerated exactly.
    public static let exactLimit = 200_000

    /// The two-sided p-value of mean(a) - mean(b): the share of the splits of the pooled values
    /// into groups of sizes n_a and n_b whose |difference of means| is at least the observed one
    /// (ties within 1e-12 relative count as at least).
    ///
    /// When C(n_a + n_b, n_a) <= `exactLimit` every split is enumerated and the p-value is exact.
    /// Otherwise `permutations` random splits are drawn (permutation i from
    /// `RandomGenerator(seed: seed).derived(.permutation(i))`) and p = (1 + hits) / (1 + B), which
    /// counts the observed split and so never gives 0 (Phipson and Smyth 2010). An empty group
    /// gives 1 (no evidence); a value that is not finite gives NaN (no test).
    public static func twoSample(_ a: [Double], _ b: [Double], seed: UInt64, permutations: Int = 10_000) -> Double {
        precondition(permutations > 0, "PermutationTest: the number of permutations must be positive")
        guard !a.isEmpty, !b.isEmpty else { return 1 }
        guard a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else { return .nan }
        let pooled = a + b
        let total = pooled.reduce(0, +)
        let (na, nb) = (Double(a.count), Double(b.count))
        /// |mean of a group with sum `sum` - mean of the rest|.
        func distance(groupSum sum: Double) -> Double { abs(sum / na - (total - sum) / nb) }
        let observed = distance(groupSum: a.reduce(0, +))
        let threshold = observed - 1e-12 * max(1, observed)

        if splits(pooled.count, choose: a.count) <= Double(exactLimit) {
            var hits = 0
            var all = 0
            /// Chooses the rest of group a among pooled[next...], `left` values still to choose.
            func enumerate(from next: Int, left: Int, sum: Double) {
                if left == 0 {
                    all += 1
                    if distance(groupSum: sum) >= threshold { hits += 1 }
                    return
                }
                guard pooled.count - next >= left else { return }
                enumerate(from: next + 1, left: left - 1, sum: sum + pooled[next])
                enumerate(from: next + 1, left: left, sum: sum)
            }
            enumerate(from: 0, left: a.count, sum: 0)
            return Double(hits) / Double(all)
        }

        let base = RandomGenerator(seed: seed)
        var hits = 0
        for i in 0..<permutations {
            var shuffled = pooled
            var generator = base.derived(.permutation(i))
            // The first n_a places of a Fisher-Yates shuffle are a uniform random group a.
            var sum = 0.0
            for place in 0..<a.count {
                let pick = place + UniformIndex(below: shuffled.count - place).next(using: &generator)
                shuffled.swapAt(place, pick)
                sum += shuffled[place]
            }
            if distance(groupSum: sum) >= threshold { hits += 1 }
        }
        return Double(1 + hits) / Double(1 + permutations)
    }

    /// C(n, k), computed in floating point and stopped once it passes `exactLimit`.
    static func splits(_ n: Int, choose k: Int) -> Double {
        var result = 1.0
        for i in 0..<min(k, n - k) {
            result = result * Double(n - i) / Double(i + 1)
            if result > Double(exactLimit) { return result }
        }
        return result.rounded()
    }
}
