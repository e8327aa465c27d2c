import Foundation
import TransferscopeCore

/// The Fréchet distance between the Gaussian fits of two sets of features (Dowson and Landau
/// 1982; the FID of Heusel et al. 2017 on Inception features):
///
///     FD = |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2})
///
/// It is the squared 2-Wasserstein distance between N(mu_a, S_a) and N(mu_b, S_b). The trace of
/// the square root is taken on a symmetric matrix: with S_a = V D V^T, the matrix
/// M = D^{1/2} V^T S_b V D^{1/2} is similar (by the orthogonal V) to S_a^{1/2} S_b S_a^{1/2}, whose
/// square root has the trace of (S_a S_b)^{1/2}, so Tr (S_a S_b)^{1/2} = sum_k sqrt(lambda_k(M)),
/// negative eigenvalues (rounding) taken as 0. Everything is in Double.
///
/// Cost for width d: O(n d^2) to fit a Gaussian to n rows, two Jacobi decompositions
/// (`SymmetricEigen`) and two d x d products for the trace.
enum FrechetDistance {
    /// A Gaussian fit: the mean and the d x d (row-major) covariance.
    struct Gaussian: Equatable {
        /// mu: the mean of each feature.
        var mean: [Double]
        /// S: the unbiased sample covariance (divided by n - 1), d x d row-major.
        var covariance: [Double]
        /// d: the number of features.
        var width: Int { mean.count }
        /// Tr S.
        var trace: Double { (0..<width).reduce(0) { $0 + covariance[$1 * width + $1] } }

        /// A Gaussian given by its mean and covariance (d x d row-major).
        init(mean: [Double], covariance: [Double]) {
            precondition(
                covariance.count == mean.count * mean.count,
                "FrechetDistance.Gaussian: \(covariance.count) covariance values for \(mean.count) features")
            self.mean = mean
            self.covariance = covariance
        }

        /// The fit to the rows of `features` at `rows` (repeats allowed, as in a bootstrap
        /// resample; all rows when nil), two passes: the mean, then the centered products.
        init(_ features: FeatureMatrix, rows: [Int]? = nil) {
            let order = rows ?? Array(0..<features.count)
            let (n, d) = (order.count, features.width)
            precondition(n >= 2, "FrechetDistance.Gaussian: a covariance needs at least 2 rows, got \(n)")
            var mean = [Double](repeating: 0, count: d)
            var covariance = [Double](repeating: 0, count: d * d)
            var centered = [Double](repeating: 0, count: d)
            features.values.withUnsafeBufferPointer { x in
                for i in order {
                    for j in 0..<d { mean[j] += x[i * d + j] }
                }
                for j in 0..<d { mean[j] /= Double(n) }
                covariance.withUnsafeMutableBufferPointer { s in
                    for i in order {
                        for j in 0..<d { centered[j] = x[i * d + j] - mean[j] }
                        // The upper triangle only; mirrored below.
                        for j in 0..<d {
                            let cj = centered[j]
                            for k in j..<d { s[j * d + k] += cj * centered[k] }
                        }
                    }
                    for j in 0..<d {
                        for k in j..<d {
                            s[j * d + k] /= Double(n - 1)
                            s[k * d + j] = s[j * d + k]
                        }
                    }
                }
            }
            self.init(mean: mean, covariance: covariance)
        }
    }

    /// The two terms of FD: |mu_a - mu_b|^2 and Tr(S_a + S_b - 2 (S_a S_b)^{1/2}).
    static func terms(_ a: Gaussian, _ b: Gaussian) -> (mean: Double, covariance: Double) {
        precondition(a.width == b.width, "FrechetDistance: \(a.width) features against \(b.width)")
        let mean = zip(a.mean, b.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let cross = traceOfSquareRoot(a.covariance, b.covariance, width: a.width)
        return (mean, a.trace + b.trace - 2 * cross)
    }

    /// FD between two Gaussians.
    static func distance(_ a: Gaussian, _ b: Gaussian) -> Double {
        let (mean, covariance) = terms(a, b)
        return mean + covariance
    }

    /// FD between the Gaussian fits of two feature matrices of the same width.
    static func distance(_ a: FeatureMatrix, _ b: FeatureMatrix) -> Double {
        distance(Gaussian(a), Gaussian(b))
    }

    /// Tr (A B)^{1/2} for symmetric positive semi-definite d x d matrices A and B: the sum of the
    /// square roots of the eigenvalues of D^{1/2} V^T B V D^{1/2}, where A = V D V^T.
    static func traceOfSquareRoot(_ a: [Double], _ b: [Double], width d: Int) -> Double {
        let eigenA = SymmetricEigen(a, size: d)
        // W = D^{1/2} V^T: row k is sqrt(lambda_k) times eigenvector k (the rows of eigenA.vectors).
        var w = eigenA.vectors
        for k in 0..<d {
            let root = max(0, eigenA.values[k]).squareRoot()
            for j in 0..<d { w[k * d + j] *= root }
        }
        let m = multiply(multiply(w, b, d), transposing: w, d)
        // Symmetric up to rounding; its symmetric part has the same trace and is what the solver reads.
        var symmetric = m
        for i in 0..<d {
            for j in 0..<d { symmetric[i * d + j] = (m[i * d + j] + m[j * d + i]) / 2 }
        }
        let eigenM = SymmetricEigen(symmetric, size: d, computingVectors: false)
        return eigenM.values.reduce(0) { $0 + max(0, $1).squareRoot() }
    }

    /// X Y for d x d row-major matrices (i-k-j order, the inner loop along rows).
    static func multiply(_ x: [Double], _ y: [Double], _ d: Int) -> [Double] {
        var product = [Double](repeating: 0, count: d * d)
        product.withUnsafeMutableBufferPointer { p in
            for i in 0..<d {
                for k in 0..<d {
                    let xik = x[i * d + k]
                    for j in 0..<d { p[i * d + j] += xik * y[k * d + j] }
                }
            }
        }
        return product
    }

    /// X Y^T for d x d row-major matrices (dot products of rows).
    static func multiply(_ x: [Double], transposing y: [Double], _ d: Int) -> [Double] {
        var product = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0..<d {
                var sum = 0.0
                for k in 0..<d { sum += x[i * d + k] * y[j * d + k] }
                product[i * d + j] = sum
            }
        }
        return product
    }

    /// The percentile bootstrap interval of FD over images (Efron and Tibshirani 1993, ch. 13):
    /// resample r draws a.count rows of `a` and then b.count rows of `b` with replacement from
    /// `RandomGenerator(seed: seed).derived(.distanceResample(r))` and recomputes FD; the interval
    /// is the (1 - level)/2 and (1 + level)/2 quantiles of the values (linear interpolation
    /// between order statistics, Hyndman and Fan 1996 type 7). Resamples run in parallel, each
    /// on its own stream, so the bits do not depend on the worker count. NaN bounds when a value
    /// is not finite.
    ///
    /// FD is biased upward by finite samples (noise adds to the covariance term), and a resample,
    /// with its repeated rows, has fewer distinct images than the sample: the bootstrap values
    /// sit above the point estimate by about that bias, so for two nearly identical sets the
    /// interval can lie entirely above the estimate.
    static func interval(
        _ a: FeatureMatrix, _ b: FeatureMatrix, resamples: Int, level: Double, seed: UInt64
    ) -> (lower: Double, upper: Double) {
        precondition(resamples > 0, "FrechetDistance.interval: the number of resamples must be positive")
        let values = SlotArray<Double>(count: resamples, initial: .nan)
        let base = RandomGenerator(seed: seed)
        Parallel.forEachShare(of: resamples) { _, range in
            for r in range {
                var generator = base.derived(.distanceResample(r))
                let rowsA = (0..<a.count).map { _ in Int(generator.next() % UInt64(a.count)) }
                let rowsB = (0..<b.count).map { _ in Int(generator.next() % UInt64(b.count)) }
                values[r] = distance(Gaussian(a, rows: rowsA), Gaussian(b, rows: rowsB))
            }
        }
        let sorted = values.values.sorted()
        guard sorted.allSatisfy(\.isFinite) else { return (.nan, .nan) }
        return (quantile(sorted, (1 - level) / 2), quantile(sorted, (1 + level) / 2))
    }

    /// The p-quantile of ascending `sorted` values, type 7: h = (count - 1) p, interpolating
    /// between the order statistics at floor(h) and floor(h) + 1.
    static func quantile(_ sorted: [Double], _ p: Double) -> Double {
        let h = Double(sorted.count - 1) * p
        let below = Int(h.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        return sorted[below] + (h - Double(below)) * (sorted[above] - sorted[below])
    }
}
