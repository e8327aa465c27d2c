import Testing
import TransferscopeCore

@testable import TransferscopeNN

@Suite("BatchNorm running statistics")
struct BatchNormStatisticsTests {
    @Test(
        """
        With momentum nil the running statistics are the plain average over the batches since the reset (PyTorch's \
        momentum=None)
        """
    )
    func cumulativeAverage() {
        let norm = BatchNorm2d(channels: 2)
        norm.resetRunningStatistics()
        norm.momentum = nil
        var generator = RandomGenerator(seed: 3)
        var means = [[Double]]()
        var variances = [[Double]]()
        for batch in 0..<3 {
            // [4, 2, 3, 2]: 12 values per channel, each batch with its own offset and scale.
            let x = Tensor.randomNormal(
                shape: [4, 2, 3, 2], mean: Float(batch), standardDeviation: Float(1 + batch), using: &generator)
            _ = norm.forward(x, training: true)
            var columns = [[Double]](repeating: [], count: 2)
            for i in 0..<x.count { columns[i % 2].append(Double(x[flat: i])) }
            let mean = columns.map { $0.reduce(0, +) / 24 }
            means.append(mean)
            var variance = [Double](repeating: 0, count: 2)
            for c in 0..<2 {
                for value in columns[c] { variance[c] += (value - mean[c]) * (value - mean[c]) }
                variance[c] /= 23  // unbiased, as PyTorch's running variance
            }
            variances.append(variance)
        }
        for c in 0..<2 {
            let expectedMean = means.map { $0[c] }.reduce(0, +) / 3
            let expectedVariance = variances.map { $0[c] }.reduce(0, +) / 3
            #expect(abs(Double(norm.runningMean.value[flat: c]) - expectedMean) < 1e-5)
            #expect(abs(Double(norm.runningVariance.value[flat: c]) - expectedVariance) < 1e-4)
        }
        #expect(norm.batchesTracked.value == 3)
        // With the default momentum 0.1, one batch from the reset state moves the mean a tenth of the way.
        let fresh = BatchNorm2d(channels: 2)
        let x = Tensor(shape: [2, 1, 1, 2], scalars: [1, 3, 3, 5])
        _ = fresh.forward(x, training: true)
        #expect(fresh.runningMean.value.scalars == [0.2, 0.4])
    }
}
