import ArgumentParser
import TransferscopeCore
import TransferscopeIO

/// Range checks of flag values. Every check names the flag and the range; a NaN or an infinity
/// fails every check (the ranges are finite).
enum FlagCheck {
    static func require(_ value: Int, in range: ClosedRange<Int>, _ flag: String) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must lie in \(range.lowerBound)...\(range.upperBound), got \(value)")
        }
    }

    static func require(_ value: Int?, in range: ClosedRange<Int>, _ flag: String) throws {
        if let value { try require(value, in: range, flag) }
    }

    /// `value` within `range`, or strictly above its lower bound when `positive`.
    static func require(_ value: Double, in range: ClosedRange<Double>, _ flag: String, positive: Bool = false) throws {
        guard range.contains(value), !positive || value > range.lowerBound else {
            let lower = positive ? "(\(range.lowerBound)" : "[\(range.lowerBound)"
            throw ValidationError("\(flag) must be a number in \(lower), \(range.upperBound)], got \(value)")
        }
    }

    static func require(_ value: Float, in range: ClosedRange<Double>, _ flag: String, positive: Bool = false) throws {
        try require(Double(value), in: range, flag, positive: positive)
    }

    /// A finite number above 0 (learning rates: a huge one diverges, which training reports).
    static func requirePositive(_ value: Double, _ flag: String) throws {
        guard value.isFinite, value > 0 else {
            throw ValidationError("\(flag) must be a finite number above 0, got \(value)")
        }
    }

    /// Upper bounds of flags that have no natural one: far above any sensible value.
    static let images = 1...Limits.images
    static let epochs = 1...Limits.epochs
    static let threads = 1...Limits.threads
    /// MPI ranks (the largest machines run a few hundred thousand).
    static let ranks = 1...1_000_000
    static let imageSide = 8...Limits.imageSide
}
