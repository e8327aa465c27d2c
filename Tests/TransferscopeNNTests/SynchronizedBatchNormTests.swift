import Testing
import TransferscopeCore

@testable import TransferscopeNN

/// Synchronized BatchNorm (`BatchNorm2d.processGroup`): a batch split over ranks normalizes,
/// back-propagates and updates its running statistics as the whole batch in one process.
@Suite("Synchronized BatchNorm")
struct SynchronizedBatchNormTests {
    /// One layer's training step on `input`: the output, the input's gradient for `outputGradient`,
    /// gamma's and beta's gradients and the running statistics after it.
    struct Step {
        var output: [Float]
        var inputGradient: [Float]
        var gammaGradient: [Float]
        var betaGradient: [Float]
        var runningMean: [Float]
        var runningVariance: [Float]
    }

    static func step(
        _ input: Tensor, _ outputGradient: Tensor, residual: Tensor?, relu: Bool, group: (any ProcessGroup)?
    ) -> Step {
        let norm = BatchNorm2d(channels: input.shape[3])
        var generator = RandomGenerator(seed: 11)
        norm.weight.value = Tensor.randomNormal(
            shape: [input.shape[3]], mean: 1, standardDeviation: 0.3, using: &generator)
        norm.bias.value = Tensor.randomNormal(
            shape: [input.shape[3]], mean: 0, standardDeviation: 0.3, using: &generator)
        norm.processGroup = group
        let output = norm.forward(input, training: true, relu: relu, residual: residual)
        let dx = norm.backward(outputGradient)
        return Step(
            output: output.scalars, inputGradient: dx.scalars, gammaGradient: norm.weight.gradient.scalars,
            betaGradient: norm.bias.gradient.scalars, runningMean: norm.runningMean.value.scalars,
            runningVariance: norm.runningVariance.value.scalars)
    }

    /// Images `range` of an [N, H, W, C] tensor.
    static func images(_ tensor: Tensor, _ range: Range<Int>) -> Tensor {
        let perImage = tensor.count / tensor.shape[0]
        return Tensor(
            shape: [range.count] + tensor.shape.dropFirst(),
            scalars: Array(tensor.scalars[(range.lowerBound * perImage)..<(range.upperBound * perImage)]))
    }

    static func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5) -> Bool {
        let scale = max(1, b.map(abs).max() ?? 0)
        return a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * scale }
    }

    @Test(
        """
        A batch split over 2, 3 and 5 ranks (uneven shares too) gives the whole batch's output, gradients and running \
        statistics
        """,
        arguments: [(2, false, false), (3, true, false), (5, true, true), (2, false, true)])
    func splitEqualsWhole(ranks: Int, relu: Bool, withResidual: Bool) throws {
        var generator = RandomGenerator(seed: 5)
        // [7, 3, 2, 4]: 7 images over up to 5 ranks; an offset mean, so the variance's shift matters.
        let x = Tensor.randomNormal(shape: [7, 3, 2, 4], mean: 3, standardDeviation: 2, using: &generator)
        let dy = Tensor.randomNormal(shape: [7, 3, 2, 4], mean: 0, standardDeviation: 1, using: &generator)
        let residual =
            withResidual
            ? Tensor.randomNormal(shape: [7, 3, 2, 4], mean: 0, standardDeviation: 1, using: &generator) : nil
        let whole = Self.step(x, dy, residual: residual, relu: relu, group: nil)

        let parts = try LocalProcessGroup.run(ranks: ranks) { group in
            let range = Parallel.share(of: 7, worker: group.rank, workers: group.size)
            return Self.step(
                Self.images(x, range), Self.images(dy, range), residual: residual.map { Self.images($0, range) },
                relu: relu, group: group)
        }
        #expect(Self.close(parts.flatMap(\.output), whole.output))
        #expect(Self.close(parts.flatMap(\.inputGradient), whole.inputGradient))
        // gamma's and beta's gradients are each rank's share: their sum is the whole batch's.
        let gamma = (0..<4).map { c in parts.reduce(0) { $0 + $1.gammaGradient[c] } }
        let beta = (0..<4).map { c in parts.reduce(0) { $0 + $1.betaGradient[c] } }
        #expect(Self.close(gamma, whole.gammaGradient))
        #expect(Self.close(beta, whole.betaGradient))
        // The running statistics: the whole batch's (unbiased with its 42 rows), the same bits on every rank.
        #expect(Self.close(parts[0].runningMean, whole.runningMean))
        #expect(Self.close(parts[0].runningVariance, whole.runningVariance))
        #expect(parts.allSatisfy { $0.runningMean == parts[0].runningMean })
        #expect(parts.allSatisfy { $0.runningVariance == parts[0].runningVariance })
    }

    @Test("Without a group, or with one rank, the layer computes exactly as before (same bits)")
    func oneRankIsUnchanged() throws {
        var generator = RandomGenerator(seed: 8)
        let x = Tensor.randomNormal(shape: [4, 2, 2, 3], mean: 1, standardDeviation: 2, using: &generator)
        let dy = Tensor.randomNormal(shape: [4, 2, 2, 3], mean: 0, standardDeviation: 1, using: &generator)
        // One worker, as each rank of LocalProcessGroup has (BatchNorm's own bits no longer depend on
        // the worker count, but the comparison is meant as like for like).
        let alone = Parallel.withWorkers(1) { Self.step(x, dy, residual: nil, relu: true, group: nil) }
        let one = try LocalProcessGroup.run(ranks: 1) { group in
            Self.step(x, dy, residual: nil, relu: true, group: group)
        }[0]
        #expect(one.output == alone.output && one.inputGradient == alone.inputGradient)
        #expect(one.gammaGradient == alone.gammaGradient && one.runningVariance == alone.runningVariance)
    }

    @Test("The merged statistics stay accurate far from zero (mean 1e4, standard deviation 1e-2)")
    func mergedStatisticsAccurate() throws {
        var generator = RandomGenerator(seed: 2)
        let x = Tensor.randomNormal(shape: [6, 4, 4, 2], mean: 10_000, standardDeviation: 0.01, using: &generator)
        let statistics = try LocalProcessGroup.run(ranks: 3) { group in
            let part = Self.images(x, Parallel.share(of: 6, worker: group.rank, workers: group.size))
            return BatchNormalization.statistics(
                input: part.unsafePointer, rows: part.count / 2, channels: 2, scratch: Workspace(), group: group)
        }
        let values = (0..<2).map { c in stride(from: c, to: x.count, by: 2).map { Double(x[flat: $0]) } }
        for c in 0..<2 {
            let mean = values[c].reduce(0, +) / Double(values[c].count)
            let variance = values[c].reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values[c].count)
            #expect(statistics[0].rows == 96)
            #expect(abs(Double(statistics[0].mean[c]) - mean) < 1e-3)
            #expect(abs(Double(statistics[0].variance[c]) - variance) < 1e-3 * variance)
        }
    }
}
