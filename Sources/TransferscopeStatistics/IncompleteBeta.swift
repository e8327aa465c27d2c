import Foundation

/// The regularized incomplete beta function I_x(a, b), the cumulative distribution behind
/// Student's t.
///
///     I_x(a, b) = B(x; a, b) / B(a, b),   B(x; a, b) = integral_0^x t^(a-1) (1 - t)^(b-1) dt
///
/// evaluated with its continued fraction (Press et al., Numerical Recipes, 3rd ed., section 6.4,
/// eq. 6.4.5), summed by the modified Lentz method (Lentz 1976; Thompson and Barnett 1986):
///
///     I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * 1 / (1 + d1 / (1 + d2 / (1 + ...)))
///     d(2m+1) = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
///     d(2m)   = m (b - m) x / ((a + 2m - 1)(a + 2m))
///
/// The fraction converges fast for x < (a + 1) / (a + b + 2); above that the symmetry
/// I_x(a, b) = 1 - I_(1-x)(b, a) is used. It takes O(sqrt(max(a, b))) terms.
enum IncompleteBeta {
    /// I_x(a, b) for a, b > 0 and x in [0, 1]. `complement` is 1 - x, passed by a caller that
    /// can compute it without cancellation (for x near 1, 1 - x in floating point keeps few
    /// correct digits).
    static func regularized(_ x: Double, complement: Double? = nil, a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0, "IncompleteBeta: a and b must be positive, got a = \(a), b = \(b)")
        precondition(x >= 0 && x <= 1, "IncompleteBeta: x must lie in [0, 1], got \(x)")
        let y = complement ?? 1 - x
        if x == 0 || y == 1 { return 0 }
        if y == 0 || x == 1 { return 1 }
        // log of x^a (1 - x)^b / B(a, b).
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(y)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * continuedFraction(y, a: b, b: a) / b
    }

    /// The continued fraction of eq. 6.4.5, by the modified Lentz method.
    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        let epsilon = 1e-15
        let maxIterations = 100_000
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...maxIterations {
            let m = Double(m)
            // The even step d(2m), then the odd step d(2m+1).
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d
            if abs(d) < tiny { d = tiny }
            c = 1 + even / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d
            if abs(d) < tiny { d = tiny }
            c = 1 + odd / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return result
    }
}
