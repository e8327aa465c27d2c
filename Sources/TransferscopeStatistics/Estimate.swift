/// A confidence interval `[lower, upper]` at confidence `level` (0.95 for a 95% interval).
///
/// An interval that could not be estimated (fewer than two values, or a non-finite value) is
/// unbounded, `(-inf, +inf)`, never a made-up narrow one; `isBounded` says which.
public struct Interval: Codable, Sendable, Equatable {
    /// The lower end.
    public var lower: Double
    /// The upper end.
    public var upper: Double
    /// The confidence level, in (0, 1).
    public var level: Double

    /// An interval from `lower` to `upper` at confidence `level`.
    public init(lower: Double, upper: Double, level: Double) {
        self.lower = lower
        self.upper = upper
        self.level = level
    }

    /// The interval that says nothing: `(-inf, +inf)`.
    public static func unbounded(level: Double) -> Interval {
        Interval(lower: -.infinity, upper: .infinity, level: level)
    }

    /// Whether both ends are finite numbers.
    public var isBounded: Bool { lower.isFinite && upper.isFinite }

    /// Whether `value` lies inside, ends included.
    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }
}

/// How an `Estimate`'s interval was computed.
public enum EstimateMethod: String, Codable, Sendable, CaseIterable {
    /// Student t on one sample's mean (`Estimates.mean`).
    case studentT
    /// Welch's t on a difference of two independent means (`Estimates.difference`).
    case welchT
    /// Student t on the mean of paired differences (`Estimates.pairedDifference`).
    case pairedT
    /// Welch-Satterthwaite t on a weighted sum of independent group means (`Estimates.linearCombination`).
    case linearCombinationT
    /// A percentile bootstrap over items (`Bootstrap.mean`, `Bootstrap.estimate`).
    case bootstrapPercentile
    /// A percentile bootstrap of paired differences, items resampled jointly (`Bootstrap.pairedDifference`).
    case pairedBootstrap
}

/// An effect with its confidence interval: what a finding's verdict is decided on.
public struct Estimate: Codable, Sendable, Equatable {
    /// The point estimate (a mean, or a difference of means).
    public var effect: Double
    /// The confidence interval around `effect`.
    public var interval: Interval
    /// The number of independent units behind it: values for a mean, pairs for a paired
    /// difference, both groups together for an unpaired one, items for a bootstrap.
    public var n: Int
    /// How the interval was computed.
    public var method: EstimateMethod

    /// An estimate from its parts.
    public init(effect: Double, interval: Interval, n: Int, method: EstimateMethod) {
        self.effect = effect
        self.interval = interval
        self.n = n
        self.method = method
    }
}
