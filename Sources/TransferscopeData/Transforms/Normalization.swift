/// Per-channel normalization x -> (x / 255 - mean) / std, with statistics of a dataset.
public struct Normalization: Codable, Sendable, Equatable {
    public var mean: [Float]
    public var standardDeviation: [Float]

    public init(mean: [Float], standardDeviation: [Float]) {
        precondition(mean.count == standardDeviation.count, "Normalization: \(mean.count) means, \(standardDeviation.count) deviations")
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// No change beyond scaling to [0, 1].
    public static func identity(channels: Int) -> Normalization {
        Normalization(mean: .init(repeating: 0, count: channels), standardDeviation: .init(repeating: 1, count: channels))
    }

    /// The mean and standard deviation of each channel of `dataset`'s pixels scaled to [0, 1]
    /// (a deviation under 1e-3, as for a constant channel, is kept at 1).
    public static func statistics(of dataset: ImageDataset) -> Normalization {
        let c = dataset.channels
        var sums = [Double](repeating: 0, count: c), squares = [Double](repeating: 0, count: c)
        for (i, value) in dataset.pixels.enumerated() {
            let x = Double(value) / 255
            sums[i % c] += x
            squares[i % c] += x * x
        }
        let n = Double(max(1, dataset.pixels.count / c))
        let mean = sums.map { $0 / n }
        let deviation = zip(squares, mean).map { square, m in (max(0, square / n - m * m)).squareRoot() }
        return Normalization(mean: mean.map(Float.init), standardDeviation: deviation.map { $0 < 1e-3 ? 1 : Float($0) })
    }

    /// The normalized value of raw pixel `value` in channel `channel`.
    @inlinable
    public func apply(_ value: UInt8, channel: Int) -> Float {
        (Float(value) / 255 - mean[channel]) / standardDeviation[channel]
    }
}
