import Testing

@testable import TransferscopeStatistics

/// The two-sample permutation test, exact and Monte Carlo.
@Suite("Statistics: permutation test")
struct PermutationTestTests {
    @Test("Exact p-values computed by hand over the 20 splits of six values")
    func exactByHand() {
        // {1,2,3} vs {4,5,6}: |difference| 3 only for that split and its mirror: p = 2 / 20.
        #expect(PermutationTest.twoSample([1, 2, 3], [4, 5, 6], seed: 0) == 0.1)
        // {1,2,4} vs {3,5,6}: difference (2S - 21) / 3 for a group sum S, |2S - 21| >= 7 when
        // S <= 7 ({1,2,3}, {1,2,4}) or S >= 14 ({3,5,6}, {4,5,6}): p = 4 / 20.
        #expect(PermutationTest.twoSample([1, 2, 4], [3, 5, 6], seed: 0) == 0.2)
        // No difference at all: every split is at least as extreme.
        #expect(PermutationTest.twoSample([1, 2], [2, 1], seed: 0) == 1)
        // Unequal sizes, {0} vs {1,2}: |0 - 1.5| = 1.5, also {2} vs {0,1}: p = 2 / 3.
        #expect(abs(PermutationTest.twoSample([0], [1, 2], seed: 0) - 2.0 / 3) < 1e-15)
    }

    @Test("Monte Carlo beyond 200,000 splits: seeded, +1 corrected, close to the exact tail")
    func monteCarlo() {
        // C(24, 12) = 2,704,156 splits: sampled. Groups 0..11 and 12..23 shifted by 0.5.
        let a = (0..<12).map { Double($0) }
        let b = (0..<12).map { Double($0) + 0.5 }
        let p = PermutationTest.twoSample(a, b, seed: 4, permutations: 4000)
        #expect(p == PermutationTest.twoSample(a, b, seed: 4, permutations: 4000))
        #expect(p > 0.7 && p < 0.95)
        // An extreme split: no random split beats it, and p is 1 / (1 + B), never 0.
        let far = PermutationTest.twoSample(a, b.map { $0 + 100 }, seed: 4, permutations: 999)
        #expect(far == 0.001)
    }

    @Test("C(n, k) decides exact or sampled: C(18, 9) = 48,620 is enumerated, C(24, 12) is not")
    func splitCount() {
        #expect(PermutationTest.splits(6, choose: 3) == 20)
        #expect(PermutationTest.splits(18, choose: 9) == 48_620)
        #expect(PermutationTest.splits(24, choose: 12) > Double(PermutationTest.exactLimit))
        // Enumerated: the seed and the permutation count change nothing.
        let a = (0..<9).map { Double($0 * $0 % 7) }
        let b = (0..<9).map { Double($0 * 3 % 5) + 0.4 }
        #expect(PermutationTest.twoSample(a, b, seed: 1, permutations: 10) == PermutationTest.twoSample(a, b, seed: 2))
    }

    @Test("Empty groups give 1, non-finite values NaN")
    func degenerate() {
        #expect(PermutationTest.twoSample([], [1, 2], seed: 0) == 1)
        #expect(PermutationTest.twoSample([1, .nan], [1, 2], seed: 0).isNaN)
    }
}
