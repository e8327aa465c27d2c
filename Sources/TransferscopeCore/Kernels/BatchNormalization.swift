/// Batch normalization over the rows of an NHWC tensor seen as [rows = N*H*W, C]
/// (Ioffe and Szegedy 2015), with PyTorch's semantics.
public enum BatchNormalization {
    /// Rows summed in Float before the block sum is added to a Double accumulator.
    static let blockRows = 64

    /// Per-channel sums of f(x[r, c]) over all rows, accumulated in Float blocks of 64 rows and
    /// then in Double, reduced over workers in a fixed order.
    static func channelSums(
        rows: Int, channels: Int, scratch: Workspace,
        _ term: (_ row: Int, _ block: UnsafeMutablePointer<Float>) -> Void
    ) -> [Double] {
        let workers = Parallel.activeWorkers(for: rows)
        var partials = [[Double]](repeating: [Double](repeating: 0, count: channels), count: workers)
        partials.withUnsafeMutableBufferPointer { partialsBuffer in
            let base = partialsBuffer.baseAddress!
            Parallel.forEachShare(of: rows) { worker, range in
                let block = scratch.floats(worker: worker, count: channels)
                var totals = [Double](repeating: 0, count: channels)
                var start = range.lowerBound
                while start < range.upperBound {
                    let end = min(start + blockRows, range.upperBound)
                    block.update(repeating: 0, count: channels)
                    for row in start..<end { term(row, block) }
                    for c in 0..<channels { totals[c] += Double(block[c]) }
                    start = end
                }
                base[worker] = totals
            }
        }
        var result = [Double](repeating: 0, count: channels)
        for partial in partials { for c in 0..<channels { result[c] += partial[c] } }
        return result
    }

    /// Batch mean and biased variance per channel: mean_c = sum_r x / R,
    /// var_c = sum_r (x - mean_c)^2 / R (two passes, for accuracy).
    /// input: [R, C].
    public static func statistics(
        input: UnsafePointer<Float>, rows: Int, channels: Int, scratch: Workspace
    ) -> (mean: [Float], variance: [Float]) {
        let sums = channelSums(rows: rows, channels: channels, scratch: scratch) { row, block in
            let x = input + row * channels
            for c in 0..<channels { block[c] += x[c] }
        }
        let mean = sums.map { Float($0 / Double(rows)) }
        let squares = mean.withUnsafeBufferPointer { meanBuffer in
            let m = meanBuffer.baseAddress!
            return channelSums(rows: rows, channels: channels, scratch: scratch) { row, block in
                let x = input + row * channels
                for c in 0..<channels {
                    let d = x[c] - m[c]
                    block[c] += d * d
                }
            }
        }
        return (mean, squares.map { Float($0 / Double(rows)) })
    }

    /// output = input * scale + shift per channel, then max(0, .) if `relu`; with
    /// scale = gamma / sqrt(var + eps) and shift = beta - mean * scale this is BatchNorm.
    /// input, output: [R, C] (may alias).
    public static func applyAffine(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, rows: Int, channels: Int,
        scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, relu: Bool
    ) {
        Parallel.forEachShare(of: rows) { _, range in
            for row in range {
                let x = input + row * channels, y = output + row * channels
                if relu {
                    for c in 0..<channels { y[c] = max(0, x[c] * scale[c] + shift[c]) }
                } else {
                    for c in 0..<channels { y[c] = x[c] * scale[c] + shift[c] }
                }
            }
        }
    }

    /// The gradient of y = gamma * xhat + beta with xhat = (x - mean) * invstd, where mean and
    /// invstd are the batch's own statistics (training mode):
    ///   dbeta  = sum_r dy,  dgamma = sum_r dy * xhat,
    ///   dx     = gamma * invstd * (dy - dbeta / R - xhat * dgamma / R).
    /// With `batchStatistics` false (evaluation mode) mean and invstd are constants and
    /// dx = gamma * invstd * dy. gammaGradient and betaGradient are accumulated into (+=);
    /// inputGradient is overwritten and may alias outputGradient.
    public static func backward(
        inputGradient: UnsafeMutablePointer<Float>, gammaGradient: UnsafeMutablePointer<Float>,
        betaGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
        input: UnsafePointer<Float>, mean: [Float], inverseStandardDeviation: [Float],
        gamma: UnsafePointer<Float>, rows: Int, channels: Int, batchStatistics: Bool, scratch: Workspace
    ) {
        mean.withUnsafeBufferPointer { meanBuffer in
            inverseStandardDeviation.withUnsafeBufferPointer { invstdBuffer in
                let m = meanBuffer.baseAddress!, s = invstdBuffer.baseAddress!
                let dyTotals = channelSums(rows: rows, channels: channels, scratch: scratch) { row, block in
                    let dy = outputGradient + row * channels
                    for c in 0..<channels { block[c] += dy[c] }
                }
                let dyXhatTotals = channelSums(rows: rows, channels: channels, scratch: scratch) { row, block in
                    let dy = outputGradient + row * channels, x = input + row * channels
                    for c in 0..<channels { block[c] += dy[c] * (x[c] - m[c]) * s[c] }
                }
                for c in 0..<channels {
                    betaGradient[c] += Float(dyTotals[c])
                    gammaGradient[c] += Float(dyXhatTotals[c])
                }
                let scale = (0..<channels).map { gamma[$0] * s[$0] }
                let meanDy = dyTotals.map { Float($0 / Double(rows)) }
                let meanDyXhat = dyXhatTotals.map { Float($0 / Double(rows)) }
                scale.withUnsafeBufferPointer { scaleBuffer in
                    meanDy.withUnsafeBufferPointer { meanDyBuffer in
                        meanDyXhat.withUnsafeBufferPointer { meanDyXhatBuffer in
                            let k = scaleBuffer.baseAddress!, a = meanDyBuffer.baseAddress!
                            let b = meanDyXhatBuffer.baseAddress!
                            Parallel.forEachShare(of: rows) { _, range in
                                for row in range {
                                    let dy = outputGradient + row * channels
                                    let x = input + row * channels, dx = inputGradient + row * channels
                                    if batchStatistics {
                                        for c in 0..<channels {
                                            let xhat = (x[c] - m[c]) * s[c]
                                            dx[c] = k[c] * (dy[c] - a[c] - xhat * b[c])
                                        }
                                    } else {
                                        for c in 0..<channels { dx[c] = k[c] * dy[c] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
