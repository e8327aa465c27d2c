import Foundation

/// Whether a finding's prediction held, judged on an `Estimate`'s interval by `verdict`.
public enum Verdict: String, Codable, Sendable, CaseIterable {
    /// The interval lies entirely on the predicted side (or within the equivalence margin).
    case holds
    /// The interval lies entirely on the other side (or entirely outside the margin).
    case doesNotHold = "does not hold"
    /// The interval leaves both possibilities open.
    case inconclusive
}

/// What a finding predicts about an effect.
public enum Prediction: Sendable, Equatable {
    /// The effect is positive.
    case greater
    /// The effect is negative.
    case less
    /// The effect lies within (-margin, +margin) (see `Equivalence`).
    case equivalent(margin: Double)
}

/// The one verdict rule: `predicted` judged on `estimate`'s interval, with the reason in words.
///
/// - `.greater` holds when the interval lies above 0, does not hold when it lies below 0.
/// - `.less` holds when it lies below 0, does not hold when it lies above 0.
/// - `.equivalent(margin:)` holds when the interval lies inside (-margin, +margin) (a TOST, see
///   `Equivalence.tost`), does not hold when it lies entirely outside that range.
/// - Otherwise, and whenever the interval is unbounded (too few values) or the effect is not a
///   number, the verdict is inconclusive.
///
/// The interval is used at the level it was computed at: findings pass 95% intervals for
/// directional predictions (about 2.5% false "holds" per direction with no effect), and a 90%
/// interval gives the usual 5% TOST for equivalence.
public func verdict(_ estimate: Estimate, predicted: Prediction) -> (Verdict, reason: String) {
    let interval = estimate.interval
    let level = "\(format(interval.level * 100))% interval"
    let basis = "n = \(estimate.n), \(estimate.method.rawValue)"
    guard interval.isBounded, !interval.lower.isNaN, !interval.upper.isNaN, !estimate.effect.isNaN else {
        return (
            .inconclusive, "no interval could be estimated (\(basis)): too few values or a value that is not finite"
        )
    }
    let range = "the \(level) (\(format(interval.lower)), \(format(interval.upper)))"
    switch predicted {
    case .greater, .less:
        let sign = predicted == .greater ? 1.0 : -1.0
        let side = predicted == .greater ? "above" : "below"
        let otherSide = predicted == .greater ? "below" : "above"
        if sign * interval.lower > 0 && sign * interval.upper > 0 {
            return (.holds, "\(range) lies \(side) 0 as predicted; \(basis)")
        }
        if sign * interval.lower < 0 && sign * interval.upper < 0 {
            return (.doesNotHold, "\(range) lies \(otherSide) 0, against the prediction; \(basis)")
        }
        return (.inconclusive, "\(range) includes 0; \(basis)")
    case .equivalent(let margin):
        guard margin > 0, margin.isFinite else {
            return (.inconclusive, "no equivalence margin could be set (it came out as \(format(margin))); \(basis)")
        }
        let bounds = "(-\(format(margin)), \(format(margin)))"
        if interval.lower > -margin && interval.upper < margin {
            return (.holds, "\(range) lies within the margin \(bounds); \(basis)")
        }
        if interval.upper <= -margin || interval.lower >= margin {
            return (.doesNotHold, "\(range) lies outside the margin \(bounds); \(basis)")
        }
        return (.inconclusive, "\(range) overlaps the edge of the margin \(bounds); \(basis)")
    }
}

/// A number with 3 significant digits, for reasons ("0.0123", "-0.8", "2.1e+03").
private func format(_ value: Double) -> String { String(format: "%.3g", value) }
