import Foundation
import TransferscopeCore

/// Centered Kernel Alignment (Kornblith et al. 2019) between two representations of the same n
/// inputs, X [n, p] and Y [n, q]:
///
///     CKA(K, L) = <K', L'>_F / (||K'||_F ||L'||_F)
///
/// where K = k(X) and L = k(Y) are n x n kernel (Gram) matrices and K' is K centered, K' = HKH
/// with H = I - 11^T/n (the biased HSIC estimator), or, debiased, the U-statistic centering of
/// Song et al. (2012): zero the diagonal, subtract row and column means taken over n - 2 with
/// the grand-mean correction, zero the diagonal again. Kernels: linear k(X) = XX^T, and RBF
/// k(X)_ij = exp(-||x_i - x_j||^2 / (2 sigma^2)) with sigma = fraction * sqrt(median ||x_i - x_j||^2).
public enum CKA {
    /// The kernels a user names (a `--kernel` flag, a study's `kernel:`).
    public enum KernelName: String, Codable, Sendable, CaseIterable {
        /// k(x, y) = x . y
        case linear
        /// k(x, y) = exp(-|x - y|^2 / (2 sigma^2)), sigma a fraction of the median distance.
        case rbf

        /// The kernel, with `bandwidth` as the RBF's fraction of the median distance.
        public func kernel(bandwidth: Double) -> Kernel { self == .rbf ? .rbf(bandwidthFraction: bandwidth) : .linear }
    }

    /// The kernel applied to each representation, with its parameters.
    public enum Kernel: Codable, Sendable, Equatable, CustomStringConvertible {
        case linear
        /// sigma as a fraction of the square root of the median squared distance.
        case rbf(bandwidthFraction: Double)

        /// `linear` or `rbf(FRACTION)`, for reports and messages.
        public var description: String {
            switch self {
            case .linear: return "linear"
            case .rbf(let fraction): return "rbf(\(fraction))"
            }
        }
    }

    /// The smallest number of samples accepted (the debiased estimator divides by n - 3).
    public static let minimumSamples = 4

    /// CKA of X [n, p] and Y [n, q] (row-major Float features).
    public static func similarity(
        _ x: [Float], features p: Int, _ y: [Float], features q: Int, kernel: Kernel = .linear, debiased: Bool = false,
        names: (String, String) = ("X", "Y")
    ) throws -> Double {
        let n = x.count / max(p, 1)
        guard y.count / max(q, 1) == n, x.count == n * p, y.count == n * q else {
            throw AnalysisError.shapeMismatch(
                "CKA: X has \(x.count / max(p, 1)) rows, Y has \(y.count / max(q, 1)); both need the same inputs")
        }
        guard n >= minimumSamples else { throw AnalysisError.tooFewSamples(count: n, needed: minimumSamples) }
        if kernel == .linear && !debiased && max(p, q) < n {
            return try linearFeatureForm(x, p: p, y, q: q, n: n, names: names)
        }
        let k = try centered(gram(x, samples: n, features: p, kernel: kernel), n: n, debiased: debiased, name: names.0)
        let l = try centered(gram(y, samples: n, features: q, kernel: kernel), n: n, debiased: debiased, name: names.1)
        return alignment(k, l)
    }

    /// <K, L>_F / (||K||_F ||L||_F) of two centered Gram matrices.
    static func alignment(_ k: [Double], _ l: [Double]) -> Double {
        var kl = 0.0
        var kk = 0.0
        var ll = 0.0
        for i in 0..<k.count {
            kl += k[i] * l[i]
            kk += k[i] * k[i]
            ll += l[i] * l[i]
        }
        return kl / (kk.squareRoot() * ll.squareRoot())
    }

    /// The n x n kernel matrix of features X [n, p] (XX^T by ssyrk, then the RBF map if asked).
    public static func gram(_ x: [Float], samples n: Int, features p: Int, kernel: Kernel) -> [Double] {
        x.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else {
                preconditionFailure("CKA.gram: no storage for [\(n), \(p)] features")
            }
            return gram(base, samples: n, features: p, kernel: kernel)
        }
    }

    /// The n x n kernel matrix of the features at `x` [n, p].
    public static func gram(_ x: UnsafePointer<Float>, samples n: Int, features p: Int, kernel: Kernel) -> [Double] {
        var product = [Float](repeating: 0, count: n * n)
        BLAS.symmetricRankK(n: n, k: p, a: x, lda: p, beta: 0, c: &product, ldc: n)
        var gram = product.map(Double.init)
        guard case .rbf(let fraction) = kernel else { return gram }
        let norms = (0..<n).map { gram[$0 * n + $0] }
        var distances = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n { distances[i * n + j] = max(0, norms[i] + norms[j] - 2 * gram[i * n + j]) }
            distances[i * n + i] = 0
        }
        let median = Self.median(distances)
        let scale = 2 * fraction * fraction * median
        for i in 0..<(n * n) { gram[i] = scale > 0 ? exp(-distances[i] / scale) : (distances[i] == 0 ? 1 : 0) }
        return gram
    }

    /// The median as numpy computes it (mean of the two middle values for an even count).
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let m = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2
    }

    /// K centered (biased: HKH) or U-statistic centered (debiased); throws when K' is zero (a constant representation).
    public static func centered(_ gram: [Double], n: Int, debiased: Bool, name: String) throws -> [Double] {
        var k = gram
        if debiased {
            for i in 0..<n { k[i * n + i] = 0 }
            var means = (0..<n).map { j in (0..<n).reduce(0.0) { $0 + k[$1 * n + j] } / Double(n - 2) }
            let correction = means.reduce(0, +) / Double(2 * (n - 1))
            for j in 0..<n { means[j] -= correction }
            for i in 0..<n {
                for j in 0..<n { k[i * n + j] -= means[i] + means[j] }
                k[i * n + i] = 0
            }
        } else {
            let rows = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + k[i * n + $1] } / Double(n) }
            let total = rows.reduce(0, +) / Double(n)
            for i in 0..<n {
                for j in 0..<n { k[i * n + j] += total - rows[i] - rows[j] }
            }
        }
        let norm = k.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let scale = gram.reduce(0) { max($0, abs($1)) }
        guard norm > 1e-10 * max(scale, 1e-30) * Double(n) else { throw AnalysisError.constantFeatures(layer: name) }
        return k
    }

    /// Linear, biased CKA from p x q cross-products instead of n x n Gram matrices (cheaper when
    /// p, q < n): ||Xc^T Yc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F), Xc the column-centered features.
    static func linearFeatureForm(_ x: [Float], p: Int, _ y: [Float], q: Int, n: Int, names: (String, String)) throws
        -> Double
    {
        let xc = centeredColumns(x, n: n, p: p)
        let yc = centeredColumns(y, n: n, p: q)
        let xy = crossProduct(xc, p: p, yc, q: q, n: n)
        let xx = crossProduct(xc, p: p, xc, q: p, n: n)
        let yy = crossProduct(yc, p: q, yc, q: q, n: n)
        let normXX = xx.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let normYY = yy.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard normXX > 0 else { throw AnalysisError.constantFeatures(layer: names.0) }
        guard normYY > 0 else { throw AnalysisError.constantFeatures(layer: names.1) }
        return xy.reduce(0) { $0 + $1 * $1 } / (normXX * normYY)
    }

    static func centeredColumns(_ x: [Float], n: Int, p: Int) -> [Double] {
        var means = [Double](repeating: 0, count: p)
        for i in 0..<n { for j in 0..<p { means[j] += Double(x[i * p + j]) } }
        for j in 0..<p { means[j] /= Double(n) }
        var result = [Double](repeating: 0, count: n * p)
        for i in 0..<n { for j in 0..<p { result[i * p + j] = Double(x[i * p + j]) - means[j] } }
        return result
    }

    /// A^T B for A [n, p], B [n, q] in Double.
    static func crossProduct(_ a: [Double], p: Int, _ b: [Double], q: Int, n: Int) -> [Double] {
        var result = [Double](repeating: 0, count: p * q)
        for i in 0..<n {
            for r in 0..<p {
                let value = a[i * p + r]
                if value == 0 { continue }
                for c in 0..<q { result[r * q + c] += value * b[i * q + c] }
            }
        }
        return result
    }
}
