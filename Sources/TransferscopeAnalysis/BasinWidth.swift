import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeNN
import TransferscopeTraining

/// How wide the low-loss basin around a solution is (beyond the paper; analysis 5).
///
/// Along a direction d, the loss is evaluated at theta + t d on a grid of t, and the width is the
/// length of the interval around t = 0 on which the loss stays within `tolerance` of the
/// solution's own (linearly interpolated between grid points). Random directions are
/// filter-normalized (Li et al. 2018): each output filter of d (each row of a linear layer) is
/// rescaled to the norm of the same filter of theta, and BatchNorm parameters and biases get no
/// direction, so widths compare across models and layers of different scales.
public struct BasinWidth: Codable, Sendable, Equatable {
    /// The loss profile along one filter-normalized direction d and the basin's width along it.
    public struct Direction: Codable, Sendable, Equatable {
        /// The step sizes t of the points theta + t d (0 is the solution itself).
        public var steps: [Double]
        /// Mean cross-entropy at each step; +infinity where the outputs overflowed.
        public var losses: [Double]
        /// Accuracy in [0, 1] at each step; NaN where the outputs overflowed.
        public var accuracies: [Double]
        /// Length in t of the interval around 0 where the loss stays within `tolerance` of the loss at 0.
        public var width: Double
    }

    /// The loss increase over the solution's own loss (absolute, in nats) that ends the basin; default 0.1.
    public var tolerance: Double
    /// One profile per random direction, in the order of their seeds.
    public var directions: [Direction]
    /// The mean of the directions' widths, in units of t.
    public var meanWidth: Double

    /// Widths of `model` along `count` random filter-normalized directions, at steps `steps`
    /// (which must include 0), evaluated on `data` with BatchNorm statistics re-estimated on
    /// `statistics` at every point (or kept, when nil).
    public static func randomDirections(
        _ model: ResNet, data: EvaluationSet, statistics: PreparedImages?, count: Int = 5,
        steps: [Double] = Interpolation.grid(count: 21, from: -1, to: 1), tolerance: Double = 0.1, seed: UInt64 = 0,
        estimationBatches: Int = 20, batchSize: Int = 256
    ) throws -> BasinWidth {
        guard steps.contains(0), count >= 1 else {
            throw AnalysisError.invalidArgument(
                "basin: the steps must include 0 and there must be at least one direction")
        }
        var generator = RandomGenerator(seed: 0)
        let work = ResNet(model.configuration, generator: &generator)
        var directions: [Direction] = []
        for k in 0..<count {
            let stream = RandomGenerator(seed: seed).derived(.basinDirection(k))
            let direction = filterNormalizedDirection(for: model, seed: stream)
            var losses: [Double] = []
            var accuracies: [Double] = []
            for t in steps {
                WeightSpace.copy(model, into: work)
                for (index, entry) in work.namedState.parameters.enumerated() {
                    guard let d = direction[index] else { continue }
                    let p = entry.parameter.value.unsafeMutablePointer
                    for i in 0..<d.count { p[i] += Float(t) * d[i] }
                }
                if let statistics, t != 0 {
                    WeightSpace.reestimateBatchNorm(
                        work, images: statistics, batches: estimationBatches, batchSize: batchSize)
                }
                // Far along a direction the outputs may overflow: that point is outside any
                // basin, recorded as an infinite loss (and no accuracy), not an error. At t = 0
                // it would be the model itself, which must evaluate.
                do {
                    let result = try data.evaluate(t == 0 ? model : work)
                    losses.append(result.loss)
                    accuracies.append(result.accuracy)
                } catch EvaluationError.nonFiniteLoss where t != 0 {
                    losses.append(.infinity)
                    accuracies.append(.nan)
                }
            }
            directions.append(
                Direction(
                    steps: steps, losses: losses, accuracies: accuracies,
                    width: width(steps: steps, values: losses, tolerance: tolerance)))
        }
        return BasinWidth(
            tolerance: tolerance, directions: directions,
            meanWidth: directions.reduce(0) { $0 + $1.width } / Double(count))
    }

    /// One random Gaussian direction per parameter tensor, filter-normalized; nil for 1-D
    /// tensors (BatchNorm weights and biases, linear biases).
    static func filterNormalizedDirection(for model: ResNet, seed: RandomGenerator) -> [[Float]?] {
        var generator = seed
        return model.namedState.parameters.map { entry -> [Float]? in
            let value = entry.parameter.value
            guard value.shape.count >= 2 else { return nil }
            var d = (0..<value.count).map { _ in Float(generator.nextNormal()) }
            // Filters: the output-channel axis (last for HWIO convolutions, first for [out, in] linear).
            let outputs =
                entry.parameter.layout == .convolutionHWIO ? value.shape[value.shape.count - 1] : value.shape[0]
            let perFilter = value.count / outputs
            func index(_ filter: Int, _ j: Int) -> Int {
                entry.parameter.layout == .convolutionHWIO ? j * outputs + filter : filter * perFilter + j
            }
            for filter in 0..<outputs {
                var normD = 0.0
                var normW = 0.0
                for j in 0..<perFilter {
                    let i = index(filter, j)
                    normD += Double(d[i] * d[i])
                    normW += Double(value[flat: i] * value[flat: i])
                }
                let scale = normD > 0 ? Float((normW / normD).squareRoot()) : 0
                for j in 0..<perFilter { d[index(filter, j)] *= scale }
            }
            return d
        }
    }

    /// The length of the interval around step 0 where `values` stay within `tolerance` of the
    /// value at 0, with linear interpolation between grid points (the grid's ends bound it).
    public static func width(steps: [Double], values: [Double], tolerance: Double) -> Double {
        guard let zero = steps.firstIndex(of: 0) else { return 0 }
        let limit = values[zero] + tolerance
        func reach(_ direction: Int) -> Double {
            var i = zero
            while i + direction >= 0 && i + direction < steps.count {
                let j = i + direction
                if values[j] > limit {
                    let fraction = (limit - values[i]) / (values[j] - values[i])
                    return abs(steps[i] + fraction * (steps[j] - steps[i]))
                }
                i = j
            }
            return abs(steps[i])
        }
        return reach(-1) + reach(1)
    }

    /// The width of the basin around each endpoint of an interpolation curve, along the line
    /// towards the other endpoint, in units of lambda (multiply by the distance for weight units).
    public static func alongLine(_ curve: InterpolationCurve, tolerance: Double) -> (first: Double, second: Double) {
        let steps = curve.points.map(\.lambda)
        let losses = curve.points.map(\.trainLoss)
        let first = width(steps: steps, values: losses, tolerance: tolerance)
        let mirrored = steps.map { 1 - $0 }
        return (first, width(steps: mirrored, values: losses, tolerance: tolerance))
    }
}
