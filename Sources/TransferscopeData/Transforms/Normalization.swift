import TransferscopeCore

/// Per-channel normalization x -> (x / 255 - mean) / std, with statistics of a dataset.
public struct Normalization: Codable, Sendable, Equatable {
    /// Per-channel mean of the [0, 1]-scaled pixels, subtracted first.
    public var mean: [Float]
    /// Per-channel standard deviation of the [0, 1]-scaled pixels, divided by after the mean.
    public var standardDeviation: [Float]

    /// Statistics as given; traps when the counts differ. Values from a file go through `validate()`.
    public init(mean: [Float], standardDeviation: [Float]) {
        precondition(
            mean.count == standardDeviation.count,
            "Normalization: \(mean.count) means, \(standardDeviation.count) deviations")
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// Checks what a file may get wrong: 1 or 3 channels, finite means, positive finite deviations.
    public func validate() throws {
        guard mean.count == standardDeviation.count, mean.count == 1 || mean.count == 3 else {
            throw DataError.invalidSpecification(
                "normalization: \(mean.count) means and \(standardDeviation.count) deviations; give one of each "
                    + "per channel (1 or 3)"
            )
        }
        guard mean.allSatisfy(\.isFinite), standardDeviation.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw DataError.invalidSpecification(
                "normalization: means \(mean) and deviations \(standardDeviation) must be finite, and the "
                    + "deviations positive"
            )
        }
    }

    enum CodingKeys: String, CodingKey { case mean, standardDeviation }

    /// Decodes and validates.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mean = try container.decode([Float].self, forKey: .mean)
        standardDeviation = try container.decode([Float].self, forKey: .standardDeviation)
        try validate()
    }

    /// No change beyond scaling to [0, 1].
    public static func identity(channels: Int) -> Normalization {
        Normalization(
            mean: .init(repeating: 0, count: channels), standardDeviation: .init(repeating: 1, count: channels))
    }

    /// The mean and standard deviation of each channel of `dataset`'s pixels scaled to [0, 1]
    /// (a deviation under 1e-3, as for a constant channel, is kept at 1).
    public static func statistics(of dataset: ImageDataset) -> Normalization {
        let c = dataset.channels
        var sums = [Double](repeating: 0, count: c)
        var squares = [Double](repeating: 0, count: c)
        func add(_ value: Double, at i: Int) {
            let x = value / 255
            sums[i % c] += x
            squares[i % c] += x * x
        }
        if let exact = dataset.exactValues {
            for (i, value) in exact.enumerated() { add(Double(value), at: i) }
        } else {
            for (i, value) in dataset.pixels.enumerated() { add(Double(value), at: i) }
        }
        let n = Double(max(1, dataset.pixels.count / c))
        let mean = sums.map { $0 / n }
        let deviation = zip(squares, mean).map { square, m in (max(0, square / n - m * m)).squareRoot() }
        return Normalization(
            mean: mean.map { Float($0) }, standardDeviation: deviation.map { $0 < 1e-3 ? 1 : Float($0) })
    }

    /// The normalized value of raw pixel `value` in channel `channel`.
    @inlinable
    public func apply(_ value: UInt8, channel: Int) -> Float {
        apply(value: Float(value), channel: channel)
    }

    /// The normalized value of a pixel value on the 0...255 scale (exact float images).
    @inlinable
    public func apply(value: Float, channel: Int) -> Float {
        (value / 255 - mean[channel]) / standardDeviation[channel]
    }
}
