import Foundation
import Testing
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeOptimizers
import TransferscopeTraining

@testable import TransferscopeAnalysis

/// Random matrices and feature sets built without the code under test.
enum Synthetic {
    /// A random orthogonal n x n matrix (row-major): modified Gram-Schmidt on normal rows.
    static func orthogonal(_ n: Int, _ generator: inout RandomGenerator) -> [Double] {
        var q = (0..<(n * n)).map { _ in generator.nextNormal() }
        for i in 0..<n {
            for k in 0..<i {
                let projection = (0..<n).reduce(0) { $0 + q[i * n + $1] * q[k * n + $1] }
                for j in 0..<n { q[i * n + j] -= projection * q[k * n + j] }
            }
            let norm = (0..<n).reduce(0) { $0 + q[i * n + $1] * q[i * n + $1] }.squareRoot()
            for j in 0..<n { q[i * n + j] /= norm }
        }
        return q
    }

    /// Q^T diag(values) Q: a symmetric matrix whose eigenvalues are `values` (rows of Q the vectors).
    static func symmetric(eigenvalues values: [Double], basis q: [Double]) -> [Double] {
        let n = values.count
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                a[i * n + j] = (0..<n).reduce(0) { $0 + q[$1 * n + i] * values[$1] * q[$1 * n + j] }
            }
        }
        return a
    }

    /// `count` rows of `width` correlated normal features: x = mean + A g, with g standard normal.
    static func features(
        count: Int, width: Int, mean: Double, mixing: [Double], _ generator: inout RandomGenerator
    ) -> FeatureMatrix {
        var values = [Double]()
        for _ in 0..<count {
            let g = (0..<width).map { _ in generator.nextNormal() }
            for i in 0..<width { values.append(mean + (0..<width).reduce(0) { $0 + mixing[i * width + $1] * g[$1] }) }
        }
        return FeatureMatrix(count: count, width: width, values: values)
    }

    /// The largest absolute difference of two arrays.
    static func maximumDifference(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}

@Suite("Domain distance: Fréchet distance, eigen-solver and linear probe")
struct DomainDistanceTests {
    typealias Gaussian = FrechetDistance.Gaussian

    @Test("The Jacobi solver recovers known eigenvalues, and V D V^T rebuilds A", arguments: [1, 2, 5, 16, 40])
    func eigenKnown(_ n: Int) {
        var generator = RandomGenerator(seed: UInt64(100 + n))
        // Distinct, repeated and zero eigenvalues: a singular positive semi-definite case included.
        var values = (0..<n).map { _ in 10 * generator.nextNormal() }
        if n >= 5 { (values[1], values[2], values[3]) = (values[0], 0, 0) }
        let q = Synthetic.orthogonal(n, &generator)
        let a = Synthetic.symmetric(eigenvalues: values, basis: q)
        let eigen = SymmetricEigen(a, size: n)
        let scale = values.map(abs).max() ?? 1
        #expect(Synthetic.maximumDifference(eigen.values, values.sorted()) <= 1e-12 * scale, "\(eigen.values)")
        let rebuilt = Synthetic.symmetric(eigenvalues: eigen.values, basis: eigen.vectors)
        #expect(Synthetic.maximumDifference(rebuilt, a) <= 1e-12 * scale)
        // V^T V = I.
        let gram = FrechetDistance.multiply(eigen.vectors, transposing: eigen.vectors, n)
        let identity = (0..<(n * n)).map { $0 % (n + 1) == 0 ? 1.0 : 0 }
        #expect(Synthetic.maximumDifference(gram, identity) <= 1e-12)
        // Without vectors: the same values.
        let valuesOnly = SymmetricEigen(a, size: n, computingVectors: false)
        #expect(Synthetic.maximumDifference(valuesOnly.values, eigen.values) <= 1e-12 * scale)
        #expect(valuesOnly.vectors.isEmpty && eigen.sweeps <= 15)
    }

    @Test("On a random symmetric matrix each pair satisfies A v = lambda v")
    func eigenPairs() {
        var generator = RandomGenerator(seed: 7)
        let n = 24
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                a[i * n + j] = generator.nextNormal()
                a[j * n + i] = a[i * n + j]
            }
        }
        let eigen = SymmetricEigen(a, size: n)
        for k in 0..<n {
            let v = eigen.vector(k)
            let av = (0..<n).map { i in (0..<n).reduce(0) { $0 + a[i * n + $1] * v[$1] } }
            #expect(Synthetic.maximumDifference(av, v.map { $0 * eigen.values[k] }) <= 1e-11, "pair \(k)")
        }
        let trace = (0..<n).reduce(0) { $0 + a[$1 * n + $1] }
        #expect(abs(eigen.values.reduce(0, +) - trace) <= 1e-11)
    }

    @Test("FD of a feature set with itself is 0, and FD is symmetric")
    func identityAndSymmetry() {
        var generator = RandomGenerator(seed: 11)
        let width = 6
        let mixingA = (0..<(width * width)).map { _ in generator.nextNormal() }
        let mixingB = (0..<(width * width)).map { _ in 0.5 * generator.nextNormal() }
        let a = Synthetic.features(count: 300, width: width, mean: 0, mixing: mixingA, &generator)
        let b = Synthetic.features(count: 200, width: width, mean: 0.7, mixing: mixingB, &generator)
        let trace = Gaussian(a).trace
        #expect(abs(FrechetDistance.distance(a, a)) <= 1e-10 * trace)
        let ab = FrechetDistance.distance(a, b)
        #expect(ab > 1)
        #expect(abs(ab - FrechetDistance.distance(b, a)) <= 1e-10 * ab)
    }

    @Test("Diagonal covariances: FD = |mu1 - mu2|^2 + sum (sigma1_i - sigma2_i)^2")
    func diagonalClosedForm() {
        var generator = RandomGenerator(seed: 12)
        for width in [1, 3, 16] {
            let mean1 = (0..<width).map { _ in generator.nextNormal() }
            let mean2 = (0..<width).map { _ in generator.nextNormal() }
            let sigma1 = (0..<width).map { _ in 0.1 + 2 * generator.nextUniform() }
            var sigma2 = (0..<width).map { _ in 0.1 + 2 * generator.nextUniform() }
            sigma2[0] = 0  // a degenerate (singular) direction
            func diagonal(_ sigma: [Double]) -> [Double] {
                (0..<(width * width)).map {
                    $0 % (width + 1) == 0 ? sigma[$0 / (width + 1)] * sigma[$0 / (width + 1)] : 0
                }
            }
            let expected =
                zip(mean1, mean2).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                + zip(sigma1, sigma2).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            let fd = FrechetDistance.distance(
                Gaussian(mean: mean1, covariance: diagonal(sigma1)), Gaussian(mean: mean2, covariance: diagonal(sigma2))
            )
            #expect(abs(fd - expected) <= 1e-10 * expected, "width \(width): \(fd) vs \(expected)")
        }
    }

    @Test("Full 2 x 2 covariances against Tr (S1 S2)^{1/2} = sqrt(Tr S1 S2 + 2 sqrt(det S1 det S2))")
    func twoByTwo() {
        // For 2 x 2 matrices with eigenvalues l1, l2 >= 0 of S1 S2: (sqrt l1 + sqrt l2)^2 = tr + 2 sqrt(det).
        let cases: [([Double], [Double])] = [
            ([2, 0.7, 0.7, 1], [1, -0.4, -0.4, 3]), ([5, 2, 2, 1], [0.5, 0.1, 0.1, 0.2]),
            ([1, 1, 1, 1], [3, -1, -1, 2]),
        ]
        for (s1, s2) in cases {
            let product = FrechetDistance.multiply(s1, s2, 2)
            let determinant = (s1[0] * s1[3] - s1[1] * s1[2]) * (s2[0] * s2[3] - s2[1] * s2[2])
            let rootTrace = (product[0] + product[3] + 2 * determinant.squareRoot()).squareRoot()
            let expected = 0.25 + 1 + (s1[0] + s1[3]) + (s2[0] + s2[3]) - 2 * rootTrace
            let fd = FrechetDistance.distance(
                Gaussian(mean: [0, 1], covariance: s1), Gaussian(mean: [0.5, 0], covariance: s2))
            #expect(abs(fd - expected) <= 1e-12 * (1 + expected), "\(s1) \(s2): \(fd) vs \(expected)")
        }
    }

    @Test("Commuting full covariances Q^T D1 Q and Q^T D2 Q: FD = |dmu|^2 + sum (sqrt d1 - sqrt d2)^2")
    func commuting() {
        var generator = RandomGenerator(seed: 13)
        let width = 12
        let q = Synthetic.orthogonal(width, &generator)
        let d1 = (0..<width).map { _ in 3 * generator.nextUniform() }
        let d2 = (0..<width).map { _ in 3 * generator.nextUniform() }
        let mean = (0..<width).map { _ in generator.nextNormal() }
        let expected =
            mean.reduce(0) { $0 + $1 * $1 }
            + zip(d1, d2).reduce(0) { $0 + pow($1.0.squareRoot() - $1.1.squareRoot(), 2) }
        let fd = FrechetDistance.distance(
            Gaussian(mean: mean, covariance: Synthetic.symmetric(eigenvalues: d1, basis: q)),
            Gaussian(
                mean: [Double](repeating: 0, count: width), covariance: Synthetic.symmetric(eigenvalues: d2, basis: q)))
        #expect(abs(fd - expected) <= 1e-10 * expected, "\(fd) vs \(expected)")
    }

    @Test("The Gaussian fit is the mean and the unbiased covariance; resampled rows may repeat")
    func gaussianFit() {
        let features = FeatureMatrix(count: 3, width: 2, values: [1, 2, 3, 6, 5, 4])
        let fit = Gaussian(features)
        #expect(fit.mean == [3, 4])
        // Deviations (-2, -2), (0, 2), (2, 0): sums of products 8, 4, 8 over n - 1 = 2.
        #expect(fit.covariance == [4, 2, 2, 4])
        let repeated = Gaussian(features, rows: [0, 0, 2])
        #expect(Synthetic.maximumDifference(repeated.mean, [7.0 / 3, 8.0 / 3]) < 1e-12)
    }

    @Test("The bootstrap interval holds the estimate, has width, and the same bits for any worker count")
    func bootstrapInterval() {
        var generator = RandomGenerator(seed: 14)
        let width = 4
        let identity = (0..<(width * width)).map { $0 % (width + 1) == 0 ? 1.0 : 0 }
        let a = Synthetic.features(count: 150, width: width, mean: 0, mixing: identity, &generator)
        let b = Synthetic.features(count: 120, width: width, mean: 0.6, mixing: identity.map { 1.5 * $0 }, &generator)
        let fd = FrechetDistance.distance(a, b)
        let one = Parallel.withWorkers(1) { FrechetDistance.interval(a, b, resamples: 100, level: 0.95, seed: 3) }
        let two = Parallel.withWorkers(2) { FrechetDistance.interval(a, b, resamples: 100, level: 0.95, seed: 3) }
        #expect(one.lower < fd && fd < one.upper && one.upper - one.lower > 0.05 * fd, "\(one) around \(fd)")
        #expect(one == two)
        let other = FrechetDistance.interval(a, b, resamples: 100, level: 0.95, seed: 4)
        #expect(other != one)
        let narrow = FrechetDistance.interval(a, b, resamples: 100, level: 0.5, seed: 3)
        #expect(one.lower < narrow.lower && narrow.upper < one.upper)
        #expect(FrechetDistance.quantile([1, 2, 3, 4, 5], 0.25) == 2 && FrechetDistance.quantile([0, 10], 0.3) == 3)
    }

    @Test("A linear probe separates linearly separable classes on unseen rows")
    func probeSeparable() {
        var generator = RandomGenerator(seed: 15)
        let (width, classes) = (8, 4)
        let direction = (0..<(classes * width)).map { _ in generator.nextNormal() }
        // Labels by the argmax of a fixed linear map, keeping only rows with a margin: separable.
        func draw(_ count: Int) -> (FeatureMatrix, [Int]) {
            var values = [Double]()
            var labels = [Int]()
            while labels.count < count {
                let x = (0..<width).map { _ in 3 * generator.nextNormal() + 5 }
                let scores = (0..<classes).map { c in (0..<width).reduce(0) { $0 + direction[c * width + $1] * x[$1] } }
                let sorted = scores.sorted()
                guard sorted[classes - 1] - sorted[classes - 2] > 1,
                    let label = scores.firstIndex(of: sorted[classes - 1])
                else { continue }
                values += x
                labels.append(label)
            }
            return (FeatureMatrix(count: count, width: width, values: values), labels)
        }
        let (train, trainLabels) = draw(400)
        let (test, testLabels) = draw(400)
        let probe = LinearProbe(training: train, labels: trainLabels, classes: classes, l2: 1e-4)
        #expect(probe.accuracy(train, labels: trainLabels) >= 0.99)
        #expect(probe.accuracy(test, labels: testLabels) >= 0.97, "\(probe.accuracy(test, labels: testLabels))")
        #expect(probe.iterations > 1)
    }

    @Test("A linear probe on labels unrelated to the features scores about chance on unseen rows")
    func probeRandomLabels() {
        var generator = RandomGenerator(seed: 16)
        let (width, classes) = (16, 4)
        func draw(_ count: Int) -> (FeatureMatrix, [Int]) {
            let values = (0..<(count * width)).map { _ in generator.nextNormal() }
            return (
                FeatureMatrix(count: count, width: width, values: values),
                (0..<count).map { _ in Int(generator.next() % UInt64(classes)) }
            )
        }
        let (train, trainLabels) = draw(300)
        let (test, testLabels) = draw(2000)
        let probe = LinearProbe(training: train, labels: trainLabels, classes: classes)
        // It fits the noise it was given, but that says nothing about new rows (sd of 2000 draws: 0.01).
        #expect(probe.accuracy(train, labels: trainLabels) > 0.35)
        #expect(
            abs(probe.accuracy(test, labels: testLabels) - 0.25) < 0.05, "\(probe.accuracy(test, labels: testLabels))")
    }
}
