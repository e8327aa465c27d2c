import Testing

@testable import TransferscopeCore

/// The BatchNorm passes run their channel loops 16 floats at a time with a scalar tail. These
/// tests hold them to the scalar formulas written out plainly here, bit for bit, for channel counts
/// with no tail (16, 64), with a tail (35) and with no full vector (5): a lane that fused a multiply
/// and an add, reordered a sum, read the wrong channel or skipped the tail would change the bits.
/// Inputs include NaN, -0 and exact zeros of the ReLU's output, where a mask or clamp written as a
/// different comparison would differ (max(0, NaN) is 0 and max(0, -0) is -0, as `Swift.max` says).
@Suite("BatchNorm passes")
struct BatchNormalizationTests {
    static let channelCounts = [16, 35, 5, 64]
    /// Rows: more than one 64-row block of the sums, with a partial last block.
    static let rows = 150

    static func values(_ count: Int, seed: UInt64, specials: Bool = true) -> [Float] {
        var generator = RandomGenerator(seed: seed)
        return (0..<count).map { i in
            if specials && i % 37 == 5 { return 0 }
            if specials && i % 53 == 7 { return -0.0 }
            return Float(generator.nextNormal())
        }
    }

    @Test("applyAffine: scale, shift, residual and ReLU per element as the scalar formula", arguments: channelCounts)
    func affine(channels: Int) {
        for (rows, workers, schedule) in Self.layouts(channels: channels) {
            Parallel.$chunkSchedule.withValue(schedule) { affine(channels: channels, rows: rows, workers: workers) }
        }
    }

    func affine(channels: Int, rows: Int, workers: Int) {
        var input = Self.values(rows * channels, seed: 1)
        var residual = Self.values(rows * channels, seed: 2)
        var scale = Self.values(channels, seed: 3, specials: false)
        var shift = Self.values(channels, seed: 4, specials: false)
        // Row 0, channel 0 comes out as -0 (before and after the residual); element 3 as NaN.
        (input[0], scale[0], shift[0], residual[0]) = (-0.0, 1, -0.0, -0.0)
        input[3] = .nan
        for relu in [false, true] {
            for withResidual in [false, true] {
                var output = [Float](repeating: .infinity, count: input.count)
                Parallel.withWorkers(workers) {
                    BatchNormalization.applyAffine(
                        output: &output, input: input, rows: rows, channels: channels, scale: scale,
                        shift: shift, relu: relu, residual: withResidual ? residual : nil)
                }
                var mismatches = 0
                for i in 0..<input.count {
                    let c = i % channels
                    var v = input[i] * scale[c] + shift[c]
                    if withResidual { v += residual[i] }
                    if relu { v = max(0, v) }
                    if v.bitPattern != output[i].bitPattern { mismatches += 1 }
                }
                #expect(mismatches == 0, "relu \(relu), residual \(withResidual), \(rows) rows, \(workers) workers")
            }
        }
    }

    /// The documented summation: per 64-row block, Float sums over rows in order, added to the
    /// Double totals of the block's chunk (`chunkRows`); the chunks' totals added in order.
    static func blockSums(rows: Int, channels: Int, _ term: (Int, Int) -> (Float, Float)) -> ([Double], [Double]) {
        var (first, second) = ([Double](repeating: 0, count: channels), [Double](repeating: 0, count: channels))
        let chunkRows = BatchNormalization.chunkRows(channels: channels)
        for chunk in stride(from: 0, to: rows, by: chunkRows) {
            var (chunkFirst, chunkSecond) = (
                [Double](repeating: 0, count: channels), [Double](repeating: 0, count: channels)
            )
            let end = min(chunk + chunkRows, rows)
            for start in stride(from: chunk, to: end, by: BatchNormalization.blockRows) {
                for c in 0..<channels {
                    var (a, b): (Float, Float) = (0, 0)
                    for row in start..<min(start + BatchNormalization.blockRows, end) {
                        let (x, y) = term(row, c)
                        a += x
                        b += y
                    }
                    chunkFirst[c] += Double(a)
                    chunkSecond[c] += Double(b)
                }
            }
            for c in 0..<channels {
                first[c] += chunkFirst[c]
                second[c] += chunkSecond[c]
            }
        }
        return (first, second)
    }

    /// Row counts (one chunk; two full chunks and a partial one) and schedules (workers and the
    /// order chunks are handed out in): the sums and passes give the same bits under each.
    static func layouts(channels: Int) -> [(rows: Int, workers: Int, schedule: Parallel.ChunkSchedule)] {
        let chunk = BatchNormalization.chunkRows(channels: channels)
        precondition(rows < chunk && chunk % BatchNormalization.blockRows == 0)
        return [
            (rows, 1, .firstFree), (2 * chunk + rows, 1, .firstFree), (2 * chunk + rows, 2, .firstFree),
            (2 * chunk + rows, 3, .firstFreeReversed),
        ]
    }

    @Test("The paired sums have the Double bits of the documented summation on any worker count and schedule")
    func pairedSums() {
        let channels = 35
        for (rows, workers, schedule) in Self.layouts(channels: channels) {
            let input = Self.values(rows * channels, seed: 12)
            let (first, second) = Parallel.$chunkSchedule.withValue(schedule) {
                Parallel.withWorkers(workers) {
                    BatchNormalization.pairedSums(rows: rows, channels: channels, scratch: Workspace()) {
                        start, end, sums in
                        for row in start..<end {
                            for c in 0..<channels {
                                let x = input[row * channels + c]
                                sums[c] += x
                                sums[channels + c] += x * x
                            }
                        }
                    }
                }
            }
            let (a, b) = Self.blockSums(rows: rows, channels: channels) { row, c in
                let x = input[row * channels + c]
                return (x, x * x)
            }
            #expect(first.map(\.bitPattern) == a.map(\.bitPattern), "\(rows) rows, \(workers) workers, \(schedule)")
            #expect(second.map(\.bitPattern) == b.map(\.bitPattern), "\(rows) rows, \(workers) workers, \(schedule)")
        }
    }

    @Test("statistics: shifted sums as the scalar formula, on any worker count and schedule", arguments: channelCounts)
    func statistics(channels: Int) {
        for (rows, workers, schedule) in Self.layouts(channels: channels) {
            let input = Self.values(rows * channels, seed: 5)
            let (mean, variance) = Parallel.$chunkSchedule.withValue(schedule) {
                Parallel.withWorkers(workers) {
                    BatchNormalization.statistics(input: input, rows: rows, channels: channels, scratch: Workspace())
                }
            }
            let (s1, s2) = Self.blockSums(rows: rows, channels: channels) { row, c in
                let d = input[row * channels + c] - input[c]
                return (d, d * d)
            }
            var mismatches = 0
            for c in 0..<channels {
                let m = s1[c] / Double(rows)
                if mean[c].bitPattern != Float(Double(input[c]) + m).bitPattern { mismatches += 1 }
                if variance[c].bitPattern != Float(max(s2[c] / Double(rows) - m * m, 0)).bitPattern { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(rows) rows, \(workers) workers, \(schedule)")
        }
    }

    @Test("backward: sums, masked gradient and input gradient as the scalar formulas", arguments: channelCounts)
    func backward(channels: Int) {
        for (rows, workers, schedule) in Self.layouts(channels: channels) {
            Parallel.$chunkSchedule.withValue(schedule) {
                backward(channels: channels, rows: rows, workers: workers)
            }
        }
    }

    func backward(channels: Int, rows: Int, workers: Int) {
        let dy = Self.values(rows * channels, seed: 6)
        let x = Self.values(rows * channels, seed: 7)
        var y = Self.values(rows * channels, seed: 8)
        y[9] = .nan
        let gamma = Self.values(channels, seed: 9, specials: false)
        let mean = Self.values(channels, seed: 10, specials: false)
        let invstd = Self.values(channels, seed: 11, specials: false).map { abs($0) + 0.5 }
        for mode in ["plain", "relu", "masked"] {
            let relu = mode != "plain"
            var dx = [Float](repeating: .infinity, count: dy.count)
            var masked = [Float](repeating: .infinity, count: dy.count)
            var (dgamma, dbeta) = ([Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels))
            Parallel.withWorkers(workers) {
                masked.withUnsafeMutableBufferPointer { m in
                    y.withUnsafeBufferPointer { out in
                        BatchNormalization.backward(
                            inputGradient: &dx, gammaGradient: &dgamma, betaGradient: &dbeta, outputGradient: dy,
                            reluOutput: relu ? out.baseAddress : nil, input: x, mean: mean,
                            inverseStandardDeviation: invstd, gamma: gamma, rows: rows, channels: channels,
                            batchStatistics: true, scratch: Workspace(),
                            maskedGradient: mode == "masked" ? m.baseAddress : nil)
                    }
                }
            }
            let g = (0..<dy.count).map { i in relu ? (y[i] > 0 ? dy[i] : 0) : dy[i] }
            if mode == "masked" {
                #expect(zip(g, masked).allSatisfy { $0.bitPattern == $1.bitPattern }, "the masked gradient")
            }
            let (sums, products) = Self.blockSums(rows: rows, channels: channels) { row, c in
                let i = row * channels + c
                return (g[i], g[i] * (x[i] - mean[c]))
            }
            var mismatches = 0
            for c in 0..<channels {
                if dbeta[c].bitPattern != Float(sums[c]).bitPattern { mismatches += 1 }
                if dgamma[c].bitPattern != Float(products[c] * Double(invstd[c])).bitPattern { mismatches += 1 }
            }
            for i in 0..<dy.count {
                let c = i % channels
                let k = gamma[c] * invstd[c]
                let a = Float(sums[c] / Double(rows))
                let b = Float(products[c] * Double(invstd[c]) / Double(rows))
                let expected = k * (g[i] - a - (x[i] - mean[c]) * invstd[c] * b)
                if expected.bitPattern != dx[i].bitPattern { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(mode), \(rows) rows, \(workers) workers")
        }
    }
}
