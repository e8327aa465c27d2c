import Foundation
import Testing
import TransferscopeCore

/// The BLAS path the engine runs on this processor (whichever OpenBLAS kernels were chosen, or the
/// ones `OPENBLAS_CORETYPE` forces: CI runs this suite on every path the machine has), checked
/// against float64 with a bound that holds for any summation order.
@Suite("BLAS path")
struct BLASTests {
    /// Float32's unit roundoff.
    static let u = Double(Float.ulpOfOne) / 2

    static func random(_ count: Int, _ generator: inout RandomGenerator) -> [Float] {
        (0..<count).map { _ in Float(generator.nextNormal()) }
    }

    /// sgemm against a float64 product, element by element: any summation order (and FMA or not)
    /// keeps |c - c64| <= (k + 2) u (|alpha| sum_l |a_il b_lj| + |beta c0_ij|) (Higham, Thm 3.5).
    @Test(
        "sgemm agrees with float64 within the summation-order-free error bound",
        arguments: [
            (false, false, 1, 1, 1), (false, false, 37, 19, 53), (true, false, 64, 48, 300),
            (false, true, 129, 65, 17), (true, true, 200, 150, 128), (false, false, 512, 64, 576),
        ])
    func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int) {
        var generator = RandomGenerator(seed: UInt64(m * 1000 + n * 10 + k))
        let a = Self.random(m * k, &generator)
        let b = Self.random(k * n, &generator)
        let c0 = Self.random(m * n, &generator)
        let alpha: Float = 0.75
        let beta: Float = -0.5
        let lda = transposeA ? m : k
        let ldb = transposeB ? k : n
        var c = c0
        BLAS.sgemm(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
            a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: &c, ldc: n)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var exact = 0.0
                var magnitude = 0.0
                for l in 0..<k {
                    let x = Double(transposeA ? a[l * lda + i] : a[i * lda + l])
                    let y = Double(transposeB ? b[j * ldb + l] : b[l * ldb + j])
                    exact += x * y
                    magnitude += abs(x * y)
                }
                exact = Double(alpha) * exact + Double(beta) * Double(c0[i * n + j])
                let bound =
                    Double(k + 2) * Self.u * (Double(abs(alpha)) * magnitude + Double(abs(beta * c0[i * n + j])))
                let ratio = abs(Double(c[i * n + j]) - exact) / bound
                worst = ratio.isNaN ? .infinity : max(worst, ratio)  // a NaN result must fail
            }
        }
        #expect(worst <= 1, "sgemm \(m)x\(n)x\(k) (\(ComputePath.current.summary)): error \(worst) x the bound")
    }

    @Test("ssyrk fills both triangles of A A^T and agrees with float64 within the error bound")
    func symmetricRankK() {
        var generator = RandomGenerator(seed: 7)
        let n = 45
        let k = 333
        let a = Self.random(n * k, &generator)
        var c = [Float](repeating: .nan, count: n * n)
        BLAS.symmetricRankK(n: n, k: k, a: a, lda: k, beta: 0, c: &c, ldc: n)
        var worst = 0.0
        for i in 0..<n {
            for j in 0..<n {
                var exact = 0.0
                var magnitude = 0.0
                for l in 0..<k {
                    exact += Double(a[i * k + l]) * Double(a[j * k + l])
                    magnitude += abs(Double(a[i * k + l]) * Double(a[j * k + l]))
                }
                let ratio = abs(Double(c[i * n + j]) - exact) / (Double(k + 2) * Self.u * magnitude)
                worst = ratio.isNaN ? .infinity : max(worst, ratio)  // the NaN fill left anywhere must fail
            }
        }
        #expect(worst <= 1, "ssyrk: error \(worst) x the bound")
    }

    @Test("OpenBLAS's kernels come from the processor's features, not its model number")
    func coreTypeFromFeatures() {
        let avx2: Set<String> = ["sse4_2", "avx", "avx2", "fma"]
        let avx512 = avx2.union(["avx512f", "avx512vl", "avx512bw", "avx512dq", "avx512cd"])
        #if arch(x86_64)
            #expect(OpenBLASLibrary.coreType(forFlags: avx512, vendor: "GenuineIntel") == "SkylakeX")
            #expect(OpenBLASLibrary.coreType(forFlags: avx512, vendor: "AuthenticAMD") == "SkylakeX")
            #expect(OpenBLASLibrary.coreType(forFlags: avx2, vendor: "GenuineIntel") == "Haswell")
            #expect(OpenBLASLibrary.coreType(forFlags: avx2, vendor: "AuthenticAMD") == "Zen")
            // AVX-512F alone (Knights Landing) is not enough for SkylakeX's kernels.
            #expect(OpenBLASLibrary.coreType(forFlags: avx2.union(["avx512f"]), vendor: "GenuineIntel") == "Haswell")
        #endif
        #expect(OpenBLASLibrary.coreType(forFlags: ["sse2", "sse3"], vendor: "GenuineIntel") == nil)
    }

    @Test("A user's OPENBLAS_CORETYPE narrower than the processor runs gets a note, a wider or equal one none")
    func coreTypeAdvice() {
        let narrower = OpenBLASLibrary.coreTypeAdvice(userCoreType: "Haswell", recommended: "SkylakeX")
        #expect(narrower?.contains("OPENBLAS_CORETYPE=Haswell holds sgemm to 256-bit kernels") == true)
        #expect(narrower?.contains("SkylakeX's 512-bit ones") == true)
        #expect(OpenBLASLibrary.coreTypeAdvice(userCoreType: "Prescott", recommended: "Zen") != nil)
        #expect(OpenBLASLibrary.coreTypeAdvice(userCoreType: "Sandybridge", recommended: "Haswell") == nil)
        #expect(OpenBLASLibrary.coreTypeAdvice(userCoreType: "SKYLAKEX", recommended: "SkylakeX") == nil)
        #expect(OpenBLASLibrary.coreTypeAdvice(userCoreType: "Zen", recommended: "Haswell") == nil)
        #expect(OpenBLASLibrary.coreTypeAdvice(userCoreType: "SkylakeX", recommended: "Haswell") == nil)
        #expect(OpenBLASLibrary.coreTypeAdvice(userCoreType: "Haswell", recommended: nil) == nil)
    }

    @Test(
        """
        the loaded OpenBLAS runs the kernels chosen (or the user's OPENBLAS_CORETYPE) and the environment is left as \
        given
        """
    )
    func loadedLibrary() throws {
        let library = try OpenBLASLibrary.loaded.get()
        let userCoreType = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        if let userCoreType {
            #expect(library.coreTypeSource == .user)
            #expect(
                library.coreType.lowercased() == userCoreType.lowercased(),
                "asked for \(userCoreType), runs \(library.coreType)")
        } else if let chosen = OpenBLASLibrary.coreType(forFlags: CPUFeatures.flags, vendor: CPUFeatures.vendor) {
            #expect(library.coreTypeSource == .processorFeatures)
            #expect(
                library.coreType == chosen,
                "chose \(chosen), OpenBLAS runs \(library.coreType) (\(library.configuration))")
            #expect(getenv("OPENBLAS_CORETYPE") == nil, "the variable set for loading must not leak to child processes")
        }
        #expect(ComputePath.current.blasCoreType == library.coreType)
    }
}
