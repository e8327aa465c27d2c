import Foundation

/// The symmetric eigen-solver of the LAPACK inside the loaded OpenBLAS (`dsyevd`: Householder
/// reduction to tridiagonal form, then divide and conquer; Golub and Van Loan 2013, sec. 8.3
/// and 8.4.4): O(n^3) with a small constant and blocked, cache-friendly memory access, where a
/// cyclic Jacobi method walks columns with stride n (about 50 ms against 9 s at n = 512).
public enum LAPACK {
    /// Whether the loaded OpenBLAS carries LAPACK's dsyevd.
    public static var hasSymmetricEigen: Bool {
        guard case .success(let library) = OpenBLASLibrary.loaded else { return false }
        return library.dsyevd != nil
    }

    /// The eigenvalues (ascending) and, if `computingVectors`, the unit eigenvectors (row k is
    /// the eigenvector of value k, n x n row-major) of the symmetric n x n row-major `matrix`;
    /// nil when the loaded OpenBLAS has no LAPACK or dsyevd reports a failure (it did not
    /// converge, or a value is not a finite number). A symmetric matrix is its own transpose,
    /// so row-major input is what the column-major routine expects, and its column-major
    /// eigenvectors come back as rows.
    public static func symmetricEigen(_ matrix: [Double], size n: Int, computingVectors: Bool) -> (
        values: [Double], vectors: [Double]
    )? {
        precondition(matrix.count == n * n, "LAPACK.symmetricEigen: \(matrix.count) values for a \(n) x \(n) matrix")
        guard n > 0 else { return ([], []) }
        guard case .success(let library) = OpenBLASLibrary.loaded, let dsyevd = library.dsyevd,
            matrix.allSatisfy(\.isFinite), n <= 32_000
        else { return nil }
        // The workspace sizes dsyevd documents as sufficient (n <= 32,000 keeps them in Int32).
        var size = Int32(n)
        var leading = Int32(n)
        var lwork = Int32(computingVectors ? 1 + 6 * n + 2 * n * n : 2 * n + 1)
        var liwork = Int32(computingVectors ? 3 + 5 * n : 1)
        var a = matrix
        var values = [Double](repeating: 0, count: n)
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        var info: Int32 = 0
        let (jobz, uplo): (CChar, CChar) = (CChar(UInt8(ascii: computingVectors ? "V" : "N")), CChar(UInt8(ascii: "U")))
        withUnsafePointer(to: jobz) { jobz in
            withUnsafePointer(to: uplo) { uplo in
                dsyevd(jobz, uplo, &size, &a, &leading, &values, &work, &lwork, &iwork, &liwork, &info, 1, 1)
            }
        }
        guard info == 0 else { return nil }
        return (values, computingVectors ? a : [])
    }
}
