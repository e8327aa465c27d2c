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

    @Test("LAPACK's dsyevd (from n = 32) and the Jacobi method agree; known eigenvalues at n = 64 and 160")
    func lapackAgreesWithJacobi() throws {
        guard LAPACK.hasSymmetricEigen else {
            print("the loaded OpenBLAS has no LAPACK: SymmetricEigen uses the Jacobi method everywhere")
            return
        }
        for n in [64, 160] {
            var generator = RandomGenerator(seed: UInt64(n))
            var values = (0..<n).map { _ in 10 * generator.nextNormal() }
            (values[1], values[2], values[3]) = (values[0], 0, 0)
            let a = Synthetic.symmetric(eigenvalues: values, basis: Synthetic.orthogonal(n, &generator))
            let scale = values.map(abs).max() ?? 1
            let lapack = SymmetricEigen(a, size: n)
            let jacobi = SymmetricEigen(a, size: n, method: .jacobi)
            #expect(lapack.sweeps == 0 && jacobi.sweeps > 0, "n = \(n): LAPACK was not used")
            #expect(Synthetic.maximumDifference(lapack.values, values.sorted()) <= 1e-12 * scale)
            #expect(Synthetic.maximumDifference(lapack.values, jacobi.values) <= 1e-12 * scale)
            let rebuilt = Synthetic.symmetric(eigenvalues: lapack.values, basis: lapack.vectors)
            #expect(Synthetic.maximumDifference(rebuilt, a) <= 1e-12 * scale)
            let valuesOnly = SymmetricEigen(a, size: n, computingVectors: false)
            #expect(valuesOnly.vectors.isEmpty)
            #expect(Synthetic.maximumDifference(valuesOnly.values, lapack.values) <= 1e-12 * scale)
        }
        // A value that is not a number: LAPACK declines and the Jacobi method answers (with NaN), no trap.
        var bad = [Double](repeating: 0, count: 32 * 32)
        bad[0] = .nan
        #expect(TransferscopeCore.LAPACK.symmetricEigen(bad, size: 32, computingVectors: false) == nil)
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

    @Test("The result writes and reads back through JSONFile, NaN as a string")
    func json() throws {
        let value = DomainDistance(
            frechet: 1.5, frechetMeanTerm: 1, frechetCovarianceTerm: 0.5, sourceTrace: 3, relativeFrechet: 0.5,
            frechetLower: 1.2, frechetUpper: 1.9, level: 0.95, resamples: 200, probeAccuracy: .nan,
            probeTrainAccuracy: 1, chance: 0.25, classes: 4, probeL2: 1e-3, probeIterations: 12, sourceImages: 10,
            targetImages: 9, probeTrainImages: 8, featureWidth: 16, seed: 3)
        let text = String(decoding: try JSONFile.encode(value), as: UTF8.self)
        #expect(text.contains("\"probeAccuracy\" : \"nan\""))
        var read = try JSONFile.decode(DomainDistance.self, from: text, what: "domain distance")
        #expect(read.probeAccuracy.isNaN)
        read.probeAccuracy = 0
        var expected = value
        expected.probeAccuracy = 0
        #expect(read == expected)
    }
}

/// A small P trained briefly on procedural shapes and textures (shift 0), and targets of the
/// same classes from the same generator, fresh images (another seed) at growing shifts.
enum ShiftedTargets {
    static let classes = 4
    static let source = ProceduralDataset(side: 12, channels: 1, classes: classes, seed: 1).splits(
        train: 256, test: 150)
    static let preprocessing = Preprocessing(side: 12, channels: 1, normalization: .statistics(of: source.train))
    static let sourceTrain = preprocessing.prepare(source.train)
    static let sourceTest = preprocessing.prepare(source.test)

    /// The target at `shift`, prepared to P's input.
    static func target(shift: Double) -> (train: PreparedImages, test: PreparedImages) {
        let splits = ProceduralDataset(side: 12, channels: 1, classes: classes, shift: shift, seed: 9).splits(
            train: 100, test: 150)
        return (preprocessing.prepare(splits.train), preprocessing.prepare(splits.test))
    }

    /// A resnet8 (pooled width 16) trained for `epochs` on the source with SGD (batches of 32).
    static func trainedModel(seed: UInt64, epochs: Int) -> ResNet {
        var generator = RandomGenerator(seed: seed)
        let model = ResNet(
            ResNetConfiguration.named("resnet8", inputChannels: 1, classes: classes, widths: [4, 8, 16])!,
            generator: &generator)
        let optimizer = SGD(parameters: model.namedState.parameters, hyperparameters: .init(weightDecay: 5e-4))
        for epoch in 0..<epochs {
            let order = BatchLoader.epochOrder(count: sourceTrain.count, seed: seed, epoch: epoch)
            for start in stride(from: 0, to: order.count, by: 32) {
                let batch = BatchLoader.batch(sourceTrain, indices: Array(order[start..<min(order.count, start + 32)]))
                model.zeroGradients()
                let logits = model.forward(batch.inputs, training: true)
                var gradient = Tensor(shape: logits.shape)
                _ = CrossEntropy.forwardBackward(
                    logits: logits.unsafePointer, labels: batch.labels, classes: classes,
                    logitsGradient: gradient.unsafeMutablePointer)
                model.backward(gradient)
                optimizer.update(learningRate: 0.02)
            }
        }
        return model
    }
}

@Suite("Domain distance on a trained model", .serialized)
struct DomainDistanceOrderTests {
    /// Measured (seed 0, then 1): FD of the source's own test images ~1e-14, of fresh shift-0
    /// images 0.067 and 0.057, shift 0.3 0.48 and 0.33, shift 0.9 1.36 and 0.81.
    @Test("P puts the source's own test images nearest and orders procedural targets by shift", arguments: [0, 1])
    func knownOrder(seed: UInt64) throws {
        let model = ShiftedTargets.trainedModel(seed: seed, epochs: 6)
        let accuracy = try EvaluationSet(ShiftedTargets.sourceTest).evaluate(model).accuracy
        #expect(accuracy > 0.5, "P is trained: chance is 0.25")
        func distance(_ target: (train: PreparedImages, test: PreparedImages)) throws -> DomainDistance {
            try DomainDistance.compute(
                model, sourceTest: ShiftedTargets.sourceTest, targetTrain: target.train, targetTest: target.test,
                maximumImages: 150, resamples: 30, seed: 5)
        }
        let own = try distance((ShiftedTargets.sourceTrain, ShiftedTargets.sourceTest))
        let targets = try [0, 0.3, 0.9].map { try distance(ShiftedTargets.target(shift: $0)) }
        // The same images on both sides: FD is 0 up to rounding.
        #expect(abs(own.frechet) <= 1e-9 * own.sourceTrace)
        let fd = targets.map(\.frechet)
        #expect(own.frechet < fd[0] && fd[0] < fd[1] && fd[1] < fd[2], "\(fd)")
        // Percentile intervals of the shifted targets hold FD. (For the same domain they sit above
        // it: a resample's repeated images add to FD's upward finite-sample bias; see
        // FrechetDistance.interval.)
        for d in targets.dropFirst() {
            #expect(d.frechetLower <= d.frechet && d.frechet <= d.frechetUpper && d.frechetLower < d.frechetUpper)
        }
        for d in targets {
            #expect(d.relativeFrechet == d.frechet / d.sourceTrace && d.chance == 0.25 && d.classes == 4)
            #expect(d.sourceImages == 150 && d.targetImages == 150 && d.probeTrainImages == 100 && d.featureWidth == 16)
        }
        #expect(own.probeTrainImages == 150, "the source's 256 training images, capped")
        #expect(targets[0].probeAccuracy > 0.4, "P's features separate its own classes on fresh images")
    }

    @Test("Sets that do not fit P, or settings out of range, are refused")
    func refusals() throws {
        var generator = RandomGenerator(seed: 0)
        let model = ResNet(
            ResNetConfiguration.named("resnet8", inputChannels: 3, classes: 4, widths: [4, 8, 8])!,
            generator: &generator)
        let gray = ShiftedTargets.sourceTest
        #expect(throws: AnalysisError.self) {
            try DomainDistance.compute(model, sourceTest: gray, targetTrain: gray, targetTest: gray)
        }
        let color = Preprocessing(side: 12, channels: 3, normalization: .identity(channels: 3))
            .prepare(ShiftedTargets.source.test)
        let two = Preprocessing(side: 12, channels: 3, normalization: .identity(channels: 3))
            .prepare(ProceduralDataset(side: 12, classes: 2).generate(count: 8))
        for (images, cap, resamples, level) in [(color, 1, 10, 0.95), (color, 10, 0, 0.95), (color, 10, 10, 1.0)] {
            #expect(throws: AnalysisError.self) {
                try DomainDistance.compute(
                    model, sourceTest: images, targetTrain: images, targetTest: images, maximumImages: cap,
                    resamples: resamples, level: level)
            }
        }
        #expect(throws: AnalysisError.self) {
            try DomainDistance.compute(model, sourceTest: color, targetTrain: two, targetTest: color)
        }
        let smaller = Preprocessing(side: 10, channels: 3, normalization: .identity(channels: 3))
            .prepare(ShiftedTargets.source.test)
        #expect(throws: AnalysisError.self) {
            try DomainDistance.compute(model, sourceTest: color, targetTrain: color, targetTest: smaller)
        }
    }
}
