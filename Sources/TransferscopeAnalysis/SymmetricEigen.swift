import Foundation
import TransferscopeCore

/// The eigenvalues and eigenvectors of a real symmetric matrix, A = V diag(values) V^T, by the
/// cyclic Jacobi method (Golub and Van Loan 2013, "Matrix Computations", 4th ed., sec. 8.5.2-8.5.3).
///
/// Each sweep visits every pair p < q once and applies the rotation J(p, q, theta) that zeroes
/// a_pq: with tau = (a_qq - a_pp) / (2 a_pq) and t = sign(tau) / (|tau| + sqrt(1 + tau^2)) (the
/// smaller root of t^2 + 2 tau t - 1 = 0, so |theta| <= pi/4), c = 1 / sqrt(1 + t^2), s = t c,
///
///     a_pp <- a_pp - t a_pq,  a_qq <- a_qq + t a_pq,  a_pq <- 0,
///     a_rp <- c a_rp - s a_rq,  a_rq <- s a_rp + c a_rq   (r != p, q; and a_pr, a_qr alike),
///
/// and the same column update to V. An entry is left alone (and set to 0) when it is negligible:
/// |a_pq| <= eps sqrt(|a_pp a_qq|) (the relative criterion of Demmel and Veselic 1992, which
/// keeps small eigenvalues of a positive semi-definite matrix accurate), or |a_pq| <= eps ||A||_F,
/// the rounding level of A itself. The method stops after a sweep that rotates nothing; it
/// converges quadratically, in about 6 to 10 sweeps for the matrices here.
///
/// Cost: about 4 n^3 multiplications per sweep with the vectors (2 n^3 without), and the
/// column half of each rotation walks memory with stride n, which dominates from n of a few
/// hundred. Measured on one core (x86-64, release): 3 ms for n = 64 (7 sweeps), 0.9 s for 256,
/// 9 s for 512 (10 sweeps), with or without the vectors. For 2048 (ResNet-50's pooled
/// features) that is 64 times the work on a 32 MB matrix, ten minutes or more per matrix,
/// where a tridiagonal method is the tool: from n = 32 up the decomposition is LAPACK's dsyevd
/// from the loaded OpenBLAS (`TransferscopeCore.LAPACK`, 50 ms at n = 512) when it has one, and
/// this Jacobi method otherwise (and below 32, where it is as fast and needs no library).
struct SymmetricEigen {
    /// How the decomposition is computed.
    enum Method {
        /// LAPACK's dsyevd from n = 32 up when the loaded OpenBLAS has it, else Jacobi.
        case automatic
        /// The cyclic Jacobi method below, always.
        case jacobi
    }

    /// The eigenvalues, ascending.
    var values: [Double]
    /// Row k is the unit eigenvector of `values[k]` (V^T, n x n row-major); empty when the
    /// vectors were not asked for.
    var vectors: [Double]
    /// The Jacobi sweeps taken (the last one rotated nothing, unless `maximumSweeps` stopped it);
    /// 0 when LAPACK decomposed the matrix.
    var sweeps: Int

    /// Rotations below this fraction of the diagonal, or of ||A||_F, are skipped.
    static let negligible = 1e-15

    /// The decomposition of the symmetric n x n row-major `matrix` (only its symmetric part is
    /// meaningful: the upper and lower triangles must agree).
    init(
        _ matrix: [Double], size n: Int, computingVectors: Bool = true, maximumSweeps: Int = 60,
        method: Method = .automatic
    ) {
        precondition(matrix.count == n * n, "SymmetricEigen: \(matrix.count) values for a \(n) x \(n) matrix")
        if method == .automatic, n >= 32,
            let lapack = LAPACK.symmetricEigen(matrix, size: n, computingVectors: computingVectors)
        {
            values = lapack.values
            vectors = lapack.vectors
            sweeps = 0
            return
        }
        var a = matrix
        var v = [Double](repeating: 0, count: computingVectors ? n * n : 0)
        if computingVectors { for i in 0..<n { v[i * n + i] = 1 } }
        let frobenius = matrix.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let floor = Self.negligible * frobenius
        var sweeps = 0
        a.withUnsafeMutableBufferPointer { a in
            v.withUnsafeMutableBufferPointer { v in
                var rotated = true
                while rotated && sweeps < maximumSweeps {
                    rotated = false
                    sweeps += 1
                    for p in 0..<n {
                        for q in (p + 1)..<n {
                            let apq = a[p * n + q]
                            let app = a[p * n + p]
                            let aqq = a[q * n + q]
                            if abs(apq) <= max(Self.negligible * abs(app * aqq).squareRoot(), floor) {
                                a[p * n + q] = 0
                                a[q * n + p] = 0
                                continue
                            }
                            rotated = true
                            let tau = (aqq - app) / (2 * apq)
                            let t = (tau >= 0 ? 1.0 : -1.0) / (abs(tau) + (1 + tau * tau).squareRoot())
                            let c = 1 / (1 + t * t).squareRoot()
                            let s = t * c
                            Self.rotate(a, n: n, p: p, q: q, c: c, s: s)
                            a[p * n + p] = app - t * apq
                            a[q * n + q] = aqq + t * apq
                            a[p * n + q] = 0
                            a[q * n + p] = 0
                            if !v.isEmpty { Self.rotateRows(v, n: n, p: p, q: q, c: c, s: s) }
                        }
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] < a[$1 * n + $1] }
        values = order.map { a[$0 * n + $0] }
        vectors = computingVectors ? order.flatMap { v[($0 * n)..<($0 * n + n)] } : []
        self.sweeps = sweeps
    }

    /// A <- J^T A J off the (p, q) block: columns and rows p and q of the other indices r.
    private static func rotate(_ a: UnsafeMutableBufferPointer<Double>, n: Int, p: Int, q: Int, c: Double, s: Double) {
        for r in 0..<n where r != p && r != q {
            let arp = a[r * n + p]
            let arq = a[r * n + q]
            let newP = c * arp - s * arq
            let newQ = s * arp + c * arq
            a[r * n + p] = newP
            a[p * n + r] = newP
            a[r * n + q] = newQ
            a[q * n + r] = newQ
        }
    }

    /// V <- V J, with V^T stored: rows p and q of V^T are columns p and q of V.
    private static func rotateRows(
        _ v: UnsafeMutableBufferPointer<Double>, n: Int, p: Int, q: Int, c: Double, s: Double
    ) {
        for r in 0..<n {
            let vp = v[p * n + r]
            let vq = v[q * n + r]
            v[p * n + r] = c * vp - s * vq
            v[q * n + r] = s * vp + c * vq
        }
    }

    /// The eigenvector of `values[k]`.
    func vector(_ k: Int) -> [Double] {
        let n = values.count
        return Array(vectors[(k * n)..<(k * n + n)])
    }
}
