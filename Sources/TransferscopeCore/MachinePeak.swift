import Dispatch
import TransferscopeAVX512

/// Measured arithmetic throughput of this machine: the FMA peak (what the widest SIMD units can
/// do at best) and what sgemm reaches through the engine's BLAS path, so that a benchmark can
/// say how close to the hardware the engine runs, on whatever processor it runs on.
public enum MachinePeak {
    /// The widest vectors the processor has (512 where it reports AVX-512 F and VL, else 256),
    /// whatever the engine's own kernels are set to use.
    public static var vectorBits: Int { CPUFeatures.processorHasAVX512 ? 512 : 256 }

    /// FLOP/s of independent fused multiply-adds, in GFLOP/s, on `threads` threads at once, with
    /// the processor's widest vectors (`vectorBits`). Best of several ~50 ms rounds; an FMA
    /// counts as 2 FLOPs.
    public static func fmaGigaflops(threads: Int = 1, rounds: Int = 5) -> Double {
        let lanes = vectorBits / 32
        let iterations = 4_000_000
        var best = 0.0
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                let sink = lanes == 16 ? fmaLoopAVX512(iterations: iterations) : fmaLoopAVX2(iterations: iterations)
                if sink.isNaN { print("") }  // keeps the loop's result alive
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, Double(threads * iterations * 12 * lanes * 2) / seconds / 1e9)
        }
        return best
    }

    /// sgemm C[n, n] = A[n, n] B[n, n] through `BLAS.sgemm` (the engine's path), in GFLOP/s,
    /// on `threads` threads each computing its own product (as the engine's workers do). Best of `rounds`.
    public static func sgemmGigaflops(size n: Int = 1024, threads: Int = 1, rounds: Int = 3) -> Double {
        var generator = RandomGenerator(seed: 1)
        let a = Tensor.randomNormal(shape: [n, n], using: &generator)
        let b = Tensor.randomNormal(shape: [n, n], using: &generator)
        let outputs = UnsafeMutablePointer<Float>.allocate(capacity: threads * n * n)
        defer { outputs.deallocate() }
        let c = UncheckedSendable(outputs)
        var best = 0.0
        for _ in 0...rounds {  // the first round warms up (page faults, OpenBLAS buffers)
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                BLAS.sgemm(
                    transposeA: false, transposeB: false, m: n, n: n, k: n, a: a.unsafePointer, lda: n,
                    b: b.unsafePointer, ldb: n, beta: 0, c: c.value + t * n * n, ldc: n)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, 2 * Double(threads * n * n * n) / seconds / 1e9)
        }
        return best
    }
}

/// `fmaLoopAVX512`'s 256-bit twin, compiled with this target's AVX2 + FMA flags (a deliberate
/// twin: a shared generic would be compiled with one target's flags for both).
@inline(never) @_optimize(speed)
func fmaLoopAVX2(iterations: Int) -> Float {
    typealias V = SIMD8<Float>
    let x = V(repeating: 0.999_999)
    let y = V(repeating: 1e-7)
    var a0 = V(repeating: 1)
    var a1 = V(repeating: 2)
    var a2 = V(repeating: 3)
    var a3 = V(repeating: 4)
    var a4 = V(repeating: 5)
    var a5 = V(repeating: 6)
    var a6 = V(repeating: 7)
    var a7 = V(repeating: 8)
    var a8 = V(repeating: 9)
    var a9 = V(repeating: 10)
    var a10 = V(repeating: 11)
    var a11 = V(repeating: 12)
    for _ in 0..<iterations {
        a0 = y.addingProduct(a0, x)
        a1 = y.addingProduct(a1, x)
        a2 = y.addingProduct(a2, x)
        a3 = y.addingProduct(a3, x)
        a4 = y.addingProduct(a4, x)
        a5 = y.addingProduct(a5, x)
        a6 = y.addingProduct(a6, x)
        a7 = y.addingProduct(a7, x)
        a8 = y.addingProduct(a8, x)
        a9 = y.addingProduct(a9, x)
        a10 = y.addingProduct(a10, x)
        a11 = y.addingProduct(a11, x)
    }
    let sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11))
    return sum.sum()
}
