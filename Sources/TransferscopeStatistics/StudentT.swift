import Foundation

/// Student's t distribution with `degreesOfFreedom` nu > 0 (nu = +infinity is the standard normal).
///
/// The upper tail is the regularized incomplete beta function (Abramowitz and Stegun 26.7.1;
/// Numerical Recipes, 3rd ed., eq. 6.14.10):
///
///     P(T > t) = I_(nu / (nu + t^2))(nu / 2, 1 / 2) / 2,   t >= 0,
///
/// and the density is Gamma((nu + 1) / 2) / (sqrt(nu pi) Gamma(nu / 2)) (1 + t^2 / nu)^(-(nu + 1) / 2).
/// The quantile inverts the tail by Newton's method, safeguarded by bisection inside a bracket
/// that always holds the root; it never reads a table.
public enum StudentT {
    /// P(T <= t).
    public static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        t >= 0 ? 1 - upperTail(t, degreesOfFreedom: nu) : upperTail(-t, degreesOfFreedom: nu)
    }

    /// P(T > t), accurate far into the tail (no 1 - cdf cancellation).
    public static func upperTail(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "StudentT: degrees of freedom must be positive, got \(nu)")
        if t < 0 { return 1 - upperTail(-t, degreesOfFreedom: nu) }
        if nu.isInfinite { return 0.5 * erfc(t / 2.0.squareRoot()) }
        if t.isInfinite { return 0 }
        // x = nu / (nu + t^2) and 1 - x = t^2 / (nu + t^2), each without cancellation.
        let x = nu / (nu + t * t)
        let complement = t * t / (nu + t * t)
        return 0.5 * IncompleteBeta.regularized(x, complement: complement, a: nu / 2, b: 0.5)
    }

    /// The probability density at `t`.
    public static func density(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "StudentT: degrees of freedom must be positive, got \(nu)")
        if nu.isInfinite { return exp(-t * t / 2) / (2 * Double.pi).squareRoot() }
        let logNormalizer = lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * Double.pi)
        return exp(logNormalizer - (nu + 1) / 2 * log1p(t * t / nu))
    }

    /// The p-quantile: the t with P(T <= t) = p, for p in (0, 1).
    ///
    /// By symmetry the quantile of p < 1/2 is minus that of 1 - p; for p > 1/2 the upper tail
    /// q = 1 - p is solved. The root stays bracketed in [lower, upper] (tail(lower) > q >=
    /// tail(upper)); a Newton step t + (tail(t) - q) / density(t) that leaves the bracket is
    /// replaced by bisection. Converges to about 1e-14 relative in a handful of steps.
    public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(p > 0 && p < 1, "StudentT.quantile: p must lie in (0, 1), got \(p)")
        precondition(nu > 0, "StudentT: degrees of freedom must be positive, got \(nu)")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -quantile(1 - p, degreesOfFreedom: nu) }
        let q = 1 - p
        // Bracket the root: tail(0) = 1/2 > q; double the upper end until its tail is <= q.
        var lower = 0.0
        var upper = 1.0
        while upperTail(upper, degreesOfFreedom: nu) > q && upper < 1e300 {
            lower = upper
            upper *= 2
        }
        var t = (lower + upper) / 2
        for _ in 0..<200 {
            let excess = upperTail(t, degreesOfFreedom: nu) - q
            if excess == 0 { return t }
            if excess > 0 { lower = t } else { upper = t }
            var next = t + excess / density(t, degreesOfFreedom: nu)
            if !(next > lower && next < upper) { next = (lower + upper) / 2 }
            if abs(next - t) <= 1e-14 * max(1, abs(t)) { return next }
            t = next
        }
        return t
    }
}
