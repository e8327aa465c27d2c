import Foundation
import Testing
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeTraining

@testable import TransferscopeAnalysis

/// The analyses against independent references at points where the answer is not true by
/// construction (issue 17): interior and extrapolated weights, statistics per BatchNorm mode,
/// synthetic loss curves with known basin widths, and the Bezier control point's gradient
/// against finite differences.
@Suite("Analyses against independent references")
struct ReferenceTests {
    /// The parameters (or buffers) of `model`, flattened in state order.
    static func values(_ model: ResNet, buffers: Bool = false) -> [[Float]] {
        buffers
            ? model.namedState.buffers.map(\.buffer.value.scalars)
            : model.namedState.parameters.map(\.parameter.value.scalars)
    }

    /// (1 - lambda) x + lambda y, computed in Double.
    static func mix(_ x: [[Float]], _ y: [[Float]], _ lambda: Double) -> [[Double]] {
        zip(x, y).map { a, b in zip(a, b).map { (1 - lambda) * Double($0) + lambda * Double($1) } }
    }

    static func maximumDifference(_ x: [[Float]], _ y: [[Double]]) -> Double {
        zip(x, y).flatMap { a, b in zip(a, b).map { abs(Double($0) - $1) / max(1, abs($1)) } }.max() ?? .infinity
    }

    @Test(
        "Interior and extrapolated points mix the weights, and the statistics per BatchNorm mode",
        arguments: [0.5, 1.5, -0.25])
    func interpolatedPoints(lambda: Double) {
        let (a, b) = (Pair.model(seed: 1), Pair.model(seed: 2))
        var generator = RandomGenerator(seed: 9)
        let work = ResNet(a.configuration, generator: &generator)
        let weights = Self.mix(Self.values(a), Self.values(b), lambda)
        let expectedBuffers: [BatchNormMode: [[Double]]] = [
            .interpolate: Self.mix(Self.values(a, buffers: true), Self.values(b, buffers: true), lambda),
            .first: Self.values(a, buffers: true).map { $0.map(Double.init) },
            .second: Self.values(b, buffers: true).map { $0.map(Double.init) },
        ]
        for (mode, buffers) in expectedBuffers {
            let interpolation = Interpolation(
                train: Pair.train, test: Pair.test, trainSubset: 16, batchNorm: mode, batchSize: 16)
            interpolation.point(into: work, a, b, lambda: lambda)
            #expect(Self.maximumDifference(Self.values(work), weights) < 1e-6, "\(mode) weights at \(lambda)")
            #expect(
                Self.maximumDifference(Self.values(work, buffers: true), buffers) < 1e-6,
                "\(mode) statistics at \(lambda)")
        }
    }

    @Test("Re-estimated statistics are the batch mean and unbiased variance of the layer's input")
    func reestimatedStatistics() throws {
        let (a, b) = (Pair.model(seed: 1), Pair.model(seed: 2))
        var generator = RandomGenerator(seed: 9)
        let work = ResNet(a.configuration, generator: &generator)
        // One batch of every training image: the cumulative average is that batch's statistics.
        let count = Pair.train.count
        let interpolation = Interpolation(
            train: Pair.train, test: Pair.test, trainSubset: 16, batchNorm: .reestimate, estimationBatches: 1,
            batchSize: count)
        interpolation.point(into: work, a, b, lambda: 0.4)
        // The stem BatchNorm's input is conv1's output on the images, whatever the order.
        let inputs = BatchLoader.batch(Pair.train, indices: Array(0..<count)).inputs
        let convolved = work.conv1.forward(inputs, keepingForBackward: false)
        let channels = convolved.shape[3]
        let perChannel = convolved.count / channels
        for c in 0..<channels {
            var sum = 0.0
            var squares = 0.0
            for i in 0..<perChannel {
                let x = Double(convolved[flat: i * channels + c])
                sum += x
                squares += x * x
            }
            let mean = sum / Double(perChannel)
            let unbiased = (squares - Double(perChannel) * mean * mean) / Double(perChannel - 1)
            #expect(abs(Double(work.bn1.runningMean.value[flat: c]) - mean) < 1e-4 * max(1, abs(mean)), "mean \(c)")
            #expect(
                abs(Double(work.bn1.runningVariance.value[flat: c]) - unbiased) < 1e-3 * max(1, unbiased),
                "variance \(c)")
        }
        // And they are neither endpoint's nor their mix.
        #expect(
            work.bn1.runningMean.value != a.bn1.runningMean.value
                && work.bn1.runningMean.value != b.bn1.runningMean.value)
    }

    @Test("Basin width on piecewise-linear curves: exact, asymmetric, and bounded by the grid")
    func syntheticWidths() {
        let steps = Interpolation.grid(count: 21, from: -1, to: 1)
        // Left slope 1, right slope 2: within 0.3 of the minimum for 0.3 to the left and 0.15 to the right.
        let values = steps.map { $0 < 0 ? -$0 : 2 * $0 }
        #expect(abs(BasinWidth.width(steps: steps, values: values, tolerance: 0.3) - 0.45) < 1e-12)
        // Only the value at step 0 counts, and the grid's end bounds a side that never leaves
        // the tolerance: 0.2 to the left, all of the right (the minimum at 0.5 is below 7.5).
        let shifted = steps.map { abs($0 - 0.5) + 7 }
        #expect(abs(BasinWidth.width(steps: steps, values: shifted, tolerance: 0.2) - (0.2 + 1.0)) < 1e-9)
        // Along a line: from each endpoint towards the other.
        let losses = [0.0, 0.1, 1.0, 0.2, 0.0]
        let points = zip([0.0, 0.25, 0.5, 0.75, 1.0], losses).map {
            CurvePoint(lambda: $0, trainLoss: $1, trainAccuracy: 1, testLoss: $1, testAccuracy: 1)
        }
        let widths = BasinWidth.alongLine(
            InterpolationCurve(points: points, endpoints: [points[0], points[4]], batchNorm: .interpolate),
            tolerance: 0.3)
        #expect(abs(widths.first - (0.25 + 0.25 * 0.2 / 0.9)) < 1e-12)
        #expect(abs(widths.second - (0.25 + 0.25 * 0.1 / 0.8)) < 1e-12)
    }

    @Test("Along a random direction with re-estimation, each point is the model moved and re-estimated")
    func basinWithReestimation() throws {
        let model = Pair.model(seed: 4)
        let data = EvaluationSet(Pair.test, batchSize: 32)
        let basin = try BasinWidth.randomDirections(
            model, data: data, statistics: Pair.train, count: 1, steps: [0, 0.3], tolerance: 0.5, estimationBatches: 2,
            batchSize: 32)
        // The same point built by hand: the weights plus 0.3 times the direction, statistics re-estimated.
        let stream = RandomGenerator(seed: 0).derived(.basinDirection(0))
        let direction = BasinWidth.filterNormalizedDirection(for: model, seed: stream)
        var generator = RandomGenerator(seed: 3)
        let moved = ResNet(model.configuration, generator: &generator)
        WeightSpace.copy(model, into: moved)
        for (entry, d) in zip(moved.namedState.parameters, direction) {
            guard let d else { continue }
            entry.parameter.value = Tensor(
                shape: entry.parameter.value.shape, scalars: zip(entry.parameter.value.scalars, d).map { $0 + 0.3 * $1 }
            )
        }
        WeightSpace.reestimateBatchNorm(moved, images: Pair.train, batches: 2, batchSize: 32)
        let expected = try data.evaluate(moved).loss
        #expect(
            abs(basin.directions[0].losses[1] - expected) < 1e-6 * max(1, expected),
            "\(basin.directions[0].losses) vs \(expected)")
        #expect(basin.directions[0].losses[1] != basin.directions[0].losses[0])
    }

    @Test("Before training, the Bezier curve is the straight line")
    func bezierStartsAsLine() throws {
        let (a, b) = (Pair.model(seed: 1), Pair.model(seed: 2))
        let curve = try BezierCurve(a, b)
        var generator = RandomGenerator(seed: 0)
        let work = ResNet(a.configuration, generator: &generator)
        for t in [0.3, 0.5, 0.9] {
            curve.point(into: work, t: t)
            #expect(
                Self.maximumDifference(Self.values(work), Self.mix(Self.values(a), Self.values(b), t)) < 1e-6,
                "t = \(t)")
        }
    }

    @Test("The control point's gradient matches finite differences of the loss at theta(t)", arguments: [0.3, 0.5])
    func bezierGradient(t: Double) throws {
        let (a, b) = (Pair.model(seed: 1), Pair.model(seed: 2))
        let curve = try BezierCurve(a, b)
        // Move the control point off the line so that the curve is a real curve.
        var generator = RandomGenerator(seed: 11)
        for entry in curve.control.namedState.parameters {
            let noise = Tensor.randomNormal(shape: entry.parameter.value.shape, using: &generator)
            entry.parameter.value = Tensor(
                shape: noise.shape, scalars: zip(entry.parameter.value.scalars, noise.scalars).map { $0 + 0.05 * $1 })
        }
        let work = ResNet(a.configuration, generator: &generator)
        let (inputs, labels) = BatchLoader.batch(Pair.train, indices: Array(0..<32))
        var dLogits = Tensor(shape: [32, a.configuration.classes])
        _ = curve.lossAndControlGradient(at: t, work: work, inputs: inputs, labels: labels, logitsGradient: &dLogits)
        let gradients = curve.control.namedState.parameters.map(\.parameter.gradient.scalars)
        // A direction v in the control point's space: dL/dh (c + h v/|v|) = g . v/|v|. v is a random
        // unit vector plus g/|g|: a random direction alone is nearly orthogonal to g in this many
        // dimensions, so g . v could be ~0 (and the check vacuous) for some data.
        let random = curve.control.namedState.parameters.map {
            Tensor.randomNormal(shape: $0.parameter.value.shape, using: &generator).scalars
        }
        func length(_ x: [[Float]]) -> Double { x.flatMap { $0 }.reduce(0) { $0 + Double($1 * $1) }.squareRoot() }
        let (randomLength, gradientLength) = (length(random), length(gradients))
        let direction = zip(random, gradients).map { r, g in
            zip(r, g).map { Float(Double($0) / randomLength + Double($1) / gradientLength) }
        }
        let norm = length(direction)
        let analytic =
            zip(gradients, direction).flatMap { zip($0, $1).map { Double($0) * Double($1) } }.reduce(0, +) / norm
        let original = curve.control.namedState.parameters.map(\.parameter.value)
        func loss(at h: Double) -> Double {
            for ((entry, value), d) in zip(zip(curve.control.namedState.parameters, original), direction) {
                entry.parameter.value = Tensor(
                    shape: value.shape, scalars: zip(value.scalars, d).map { $0 + Float(h / norm) * $1 })
            }
            var scratch = Tensor(shape: [32, a.configuration.classes])
            return Double(
                curve.lossAndControlGradient(
                    at: t, work: work, inputs: inputs, labels: labels, logitsGradient: &scratch))
        }
        let h = 1e-2
        let numeric = (loss(at: h) - loss(at: -h)) / (2 * h)
        #expect(abs(numeric - analytic) < 0.03 * abs(analytic) + 1e-4, "numeric \(numeric), analytic \(analytic)")
        #expect(abs(analytic) > 1e-3, "the check needs a gradient that is not ~0: \(analytic)")
    }
}

@Suite("Module criticality against brute force")
struct CriticalitySearchTests {
    @Test("The bisection with pruning finds the brute-force minimum over every (alpha, sigma) of the grid")
    func searchEqualsBruteForce() {
        var generator = RandomGenerator(seed: 17)
        let alphas = Interpolation.grid(count: 11)
        let sigmas = [0.05, 0.1, 0.2, 0.5, 1]
        for trial in 0..<500 {
            // Feasibility that improves with alpha: feasible from a threshold per sigma (past 1: never).
            let thresholds = sigmas.map { _ in Double(Int(generator.next() % 13)) / 10 }
            func feasible(_ alpha: Double, _ sigma: Double) -> Bool {
                alpha >= thresholds[sigmas.firstIndex(of: sigma)!] - 1e-12
            }
            let squared = 0.5 + Double(generator.next() % 100) / 10
            var brute: Double?
            for sigma in sigmas {
                for alpha in alphas where feasible(alpha, sigma) {
                    let value = alpha * alpha * squared / (sigma * sigma)
                    if brute == nil || value < brute! { brute = value }
                }
            }
            let found = ModuleCriticality.search(
                alphas: alphas, sigmas: sigmas, squaredDistance: squared, feasible: feasible)
            #expect(found?.value == brute, "trial \(trial): thresholds \(thresholds)")
            if let found {
                #expect(
                    feasible(found.alpha, found.sigma)
                        && found.value == found.alpha * found.alpha * squared / (found.sigma * found.sigma))
            }
        }
    }

    @Test(
        "Each module's mu is alpha^2 ||theta_F - theta_0||_r^2 / sigma^2 at its alpha and sigma (RMS units)"
    )
    func muMatchesItsWitness() throws {
        let start = Pair.model(seed: 1)
        let final = Pair.model(seed: 2)
        let data = EvaluationSet(Pair.train, indices: Array(0..<64), batchSize: 32)
        // The displacement of a module in units of the noise: each tensor's squared distance over
        // its mean square final value (the scale the relative sigma multiplies).
        func normalizedSquared(_ index: Int) -> Double {
            zip(final.modules[index].state.parameters, start.modules[index].state.parameters).reduce(0) { total, pair in
                let (f, s) = (pair.0.parameter.value, pair.1.parameter.value)
                var (squared, meanSquare) = (0.0, 0.0)
                for i in 0..<f.count {
                    let d = Double(f[flat: i]) - Double(s[flat: i])
                    squared += d * d
                    meanSquare += Double(f[flat: i]) * Double(f[flat: i])
                }
                meanSquare /= Double(max(f.count, 1))
                return total + (meanSquare > 0 ? squared / meanSquare : 0)
            }
        }
        var nonZero = 0
        for tolerance in [0.5, 0.05] {
            let result = try ModuleCriticality.measure(
                final: final, start: start, data: data, alphas: [0, 0.5, 1], sigmas: [0.5, 1], samples: 1,
                tolerance: tolerance)
            for (index, module) in result.modules.enumerated() {
                guard let mu = module.criticality else { continue }
                let (alpha, sigma) = (try #require(module.alpha), try #require(module.sigma))
                let expected = alpha * alpha * normalizedSquared(index) / (sigma * sigma)
                #expect(abs(mu - expected) <= 1e-9 * max(1, expected), "\(module.name)")
                if alpha > 0 { nonZero += 1 }
            }
        }
        #expect(nonZero > 0, "no module needed alpha > 0, so the formula was not exercised")
    }
}

@Suite("Analysis files")
struct AnalysisFileTests {
    @Test("NaN and infinities written as strings read back as numbers, so a result with one is not lost")
    func nonFiniteRoundTrip() throws {
        struct Values: Codable { var values: [Double] }
        let directory = NSTemporaryDirectory() + "transferscope-files-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try AnalysisFiles.writeJSON(Values(values: [1.5, .nan, .infinity, -.infinity]), to: directory, name: "v.json")
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/v.json"))
        let read = try JSONFile.decoder().decode(Values.self, from: data).values
        #expect(read[0] == 1.5 && read[1].isNaN && read[2] == .infinity && read[3] == -.infinity)
    }
}
