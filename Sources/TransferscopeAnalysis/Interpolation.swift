import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeNN
import TransferscopeTraining

/// How BatchNorm running statistics are set at each point of a path in weight space.
public enum BatchNormMode: String, Codable, Sendable, CaseIterable {
    /// Re-estimated on training images at every point (default): the statistics the weights would have.
    case reestimate
    /// Interpolated like the weights.
    case interpolate
    /// Those of the first endpoint throughout.
    case first
    /// Those of the second endpoint throughout.
    case second
}

/// Loss and accuracy of one point of a path.
public struct CurvePoint: Codable, Sendable, Equatable {
    /// The path coordinate: 0 and 1 are the endpoints, outside [0, 1] extrapolates.
    public var lambda: Double
    /// Mean cross-entropy on the training subset, in nats.
    public var trainLoss: Double
    /// Accuracy on the training subset, in [0, 1].
    public var trainAccuracy: Double
    /// Mean cross-entropy on the test set, in nats.
    public var testLoss: Double
    /// Accuracy on the test set, in [0, 1].
    public var testAccuracy: Double
}

/// The performance barrier of a path (Frankle et al. 2020; Neyshabur et al. 2020, section 3.4):
/// the largest excess of the path's loss (or error) over the straight line between the endpoints',
///
///     B = max_{lambda in [0, 1]} L(theta(lambda)) - ((1 - lambda) L(theta_0) + lambda L(theta_1)),
///
/// taken over the grid points in [0, 1] (extrapolated points are left out).
public struct Barrier: Codable, Sendable, Equatable {
    /// B: the largest excess over the line between the endpoints' values (0 when none exceeds it).
    public var height: Double
    /// The lambda where the excess is largest (0 when there is no barrier).
    public var lambda: Double

    /// The barrier of `value` over `points`; zero when the points lack lambda 0 or 1.
    public static func of(_ points: [CurvePoint], value: (CurvePoint) -> Double) -> Barrier {
        guard let start = points.first(where: { $0.lambda == 0 }), let end = points.first(where: { $0.lambda == 1 })
        else {
            return Barrier(height: 0, lambda: 0)
        }
        var best = Barrier(height: 0, lambda: 0)
        for point in points where point.lambda >= 0 && point.lambda <= 1 {
            let excess = value(point) - ((1 - point.lambda) * value(start) + point.lambda * value(end))
            if excess > best.height { best = Barrier(height: excess, lambda: point.lambda) }
        }
        return best
    }
}

/// Loss and accuracy along theta(lambda) = (1 - lambda) theta_1 + lambda theta_2 (analysis 5).
public struct InterpolationCurve: Codable, Sendable, Equatable {
    /// Every point, the endpoints included, with BatchNorm statistics set by `batchNorm`.
    public var points: [CurvePoint]
    /// The two checkpoints evaluated as they are (their own running statistics), at lambda 0 and 1.
    public var endpoints: [CurvePoint]
    /// How the points' BatchNorm statistics were set.
    public var batchNorm: BatchNormMode
    /// Barrier in test loss.
    public var testLossBarrier: Barrier
    /// Barrier in training loss (on the training subset).
    public var trainLossBarrier: Barrier
    /// Barrier in test error (1 - accuracy).
    public var testErrorBarrier: Barrier
    /// Where the time went.
    public var timing = PathTiming()

    /// A curve from its points; the three barriers are computed from them.
    public init(points: [CurvePoint], endpoints: [CurvePoint], batchNorm: BatchNormMode) {
        self.points = points
        self.endpoints = endpoints
        self.batchNorm = batchNorm
        testLossBarrier = Barrier.of(points) { $0.testLoss }
        trainLossBarrier = Barrier.of(points) { $0.trainLoss }
        testErrorBarrier = Barrier.of(points) { 1 - $0.testAccuracy }
    }
}

/// Seconds spent computing a path: setting weights, re-estimating BatchNorm statistics (forward
/// passes in training mode) and evaluating (forward passes in inference mode).
public struct PathTiming: Codable, Sendable, Equatable {
    /// Seconds spent setting the weights of each point.
    public var weightSeconds = 0.0
    /// Seconds in training-mode forward passes that re-estimate BatchNorm statistics.
    public var statisticsSeconds = 0.0
    /// Seconds in inference-mode forward passes that evaluate the points.
    public var evaluationSeconds = 0.0
    /// All times zero.
    public init() {}
    /// Seconds in forward passes.
    public var forwardSeconds: Double { statisticsSeconds + evaluationSeconds }
}

/// Evaluation of models along straight lines in weight space.
public struct Interpolation {
    /// The training images; statistics are re-estimated on them and a subset is evaluated.
    public var train: PreparedImages
    /// The test images, all evaluated at each point.
    public var test: PreparedImages
    /// Training images evaluated at each point (a fixed, seeded subset).
    public var trainIndices: [Int]
    let trainSet: EvaluationSet
    let testSet: EvaluationSet
    /// How BatchNorm statistics are set along the path (default: re-estimated).
    public var batchNorm: BatchNormMode
    /// Batches (of `batchSize`) used to re-estimate BatchNorm statistics at each point.
    public var estimationBatches: Int
    /// Images per batch, for evaluation and for re-estimation (default 256).
    public var batchSize: Int

    /// Batches the evaluation sets once: `trainSubset` training images drawn by `seed`, and every test image.
    public init(
        train: PreparedImages, test: PreparedImages, trainSubset: Int = 2000, batchNorm: BatchNormMode = .reestimate,
        estimationBatches: Int = 20, batchSize: Int = 256, seed: UInt64 = 0
    ) {
        self.train = train
        self.test = test
        var generator = RandomGenerator(seed: seed).derived(.interpolationTrainSubset)
        trainIndices = Array(Split.shuffle(Array(0..<train.count), generator: &generator).prefix(trainSubset)).sorted()
        trainSet = EvaluationSet(train, indices: trainIndices, batchSize: batchSize)
        testSet = EvaluationSet(test, batchSize: batchSize)
        self.batchNorm = batchNorm
        self.estimationBatches = estimationBatches
        self.batchSize = batchSize
    }

    /// The evenly spaced grid of `count` points over [from, to] (0 and 1 included when inside).
    public static func grid(count: Int = 21, from: Double = 0, to: Double = 1) -> [Double] {
        guard count > 1 else { return [from] }
        return (0..<count).map { i in
            let value = from + (to - from) * Double(i) / Double(count - 1)
            return (value * 1e9).rounded() / 1e9
        }
    }

    /// Evaluates `model` as it is (its own BatchNorm statistics).
    public func evaluate(_ model: ResNet, lambda: Double) throws -> CurvePoint {
        let onTrain = try trainSet.evaluate(model)
        let onTest = try testSet.evaluate(model)
        return CurvePoint(
            lambda: lambda, trainLoss: onTrain.loss, trainAccuracy: onTrain.accuracy, testLoss: onTest.loss,
            testAccuracy: onTest.accuracy)
    }

    /// The curve between `a` and `b` at `lambdas`. Every point, the endpoints included, sets its
    /// BatchNorm statistics by `batchNorm`, so the barrier compares like with like; the two
    /// checkpoints are also evaluated as they are (`endpoints`), which reproduces their own evaluation.
    public func curve(_ a: ResNet, _ b: ResNet, lambdas: [Double], progress: (Int, Int) -> Void = { _, _ in }) throws
        -> InterpolationCurve
    {
        guard lambdas.contains(0), lambdas.contains(1), lambdas.contains(where: { $0 > 0 && $0 < 1 }) else {
            throw AnalysisError.invalidArgument(
                "interpolation: the grid must include 0, 1 and a point between them (the barrier compares the "
                    + "path with its endpoints), got \(lambdas)"
            )
        }
        var generator = RandomGenerator(seed: 0)
        let work = ResNet(a.configuration, generator: &generator)
        try WeightSpace.requireSameArchitecture(work, [a, b])
        var timing = PathTiming()
        var clock = Date()
        func lap(_ field: WritableKeyPath<PathTiming, Double>) {
            let now = Date()
            timing[keyPath: field] += now.timeIntervalSince(clock)
            clock = now
        }
        let endpoints = [try evaluate(a, lambda: 0), try evaluate(b, lambda: 1)]
        lap(\.evaluationSeconds)
        var points: [CurvePoint] = []
        for (index, lambda) in lambdas.enumerated() {
            if (lambda == 0 || lambda == 1) && batchNorm == .interpolate {
                points.append(endpoints[lambda == 0 ? 0 : 1])  // exactly the checkpoint
            } else {
                setWeights(into: work, a, b, lambda: lambda)
                lap(\.weightSeconds)
                if batchNorm == .reestimate {
                    WeightSpace.reestimateBatchNorm(
                        work, images: train, batches: estimationBatches, batchSize: batchSize)
                    lap(\.statisticsSeconds)
                }
                points.append(try evaluate(work, lambda: lambda))
                lap(\.evaluationSeconds)
            }
            progress(index + 1, lambdas.count)
        }
        var curve = InterpolationCurve(points: points, endpoints: endpoints, batchNorm: batchNorm)
        curve.timing = timing
        return curve
    }

    /// Sets `work` to the point `lambda` of the line with this object's BatchNorm handling.
    public func point(into work: ResNet, _ a: ResNet, _ b: ResNet, lambda: Double) {
        setWeights(into: work, a, b, lambda: lambda)
        if batchNorm == .reestimate {
            WeightSpace.reestimateBatchNorm(work, images: train, batches: estimationBatches, batchSize: batchSize)
        }
    }

    /// The weights of the point, and its statistics unless they are to be re-estimated.
    func setWeights(into work: ResNet, _ a: ResNet, _ b: ResNet, lambda: Double) {
        switch batchNorm {
        case .interpolate:
            WeightSpace.interpolate(into: work, a, b, lambda: lambda, buffers: true)
        case .first, .second:
            WeightSpace.interpolate(into: work, a, b, lambda: lambda, buffers: false)
            let source = (batchNorm == .first ? a : b).namedState.buffers
            for (target, buffer) in zip(work.namedState.buffers, source) { target.buffer.value = buffer.buffer.value }
        case .reestimate:
            WeightSpace.interpolate(into: work, a, b, lambda: lambda, buffers: false)
        }
    }
}
