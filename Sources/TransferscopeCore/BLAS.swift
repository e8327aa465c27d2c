/// Single-precision matrix products through OpenBLAS (row-major), loaded by `OpenBLASLibrary`
/// with kernels chosen from the processor's features.
public enum BLAS {
    /// C[m, n] = alpha * op(A) * op(B) + beta * C, with op(A): [m, k] and op(B): [k, n].
    ///
    /// `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored (before transposition).
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        typealias CBLAS = OpenBLASLibrary.CBLAS
        OpenBLASLibrary.shared.sgemm(
            CBLAS.rowMajor, transposeA ? CBLAS.transpose : CBLAS.noTranspose,
            transposeB ? CBLAS.transpose : CBLAS.noTranspose,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C = alpha * A A^T + beta * C for A [n, k] (row-major), filling both triangles of C [n, n]
    /// (ssyrk computes the upper one; half the work of sgemm).
    public static func symmetricRankK(
        n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if n == 0 { return }
        typealias CBLAS = OpenBLASLibrary.CBLAS
        OpenBLASLibrary.shared.ssyrk(
            CBLAS.rowMajor, CBLAS.upper, CBLAS.noTranspose, Int32(n), Int32(k), alpha, a, Int32(lda), beta, c,
            Int32(ldc))
        for i in 0..<n {
            for j in 0..<i { c[i * ldc + j] = c[j * ldc + i] }
        }
    }
}
