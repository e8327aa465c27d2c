// The machine's FMA peak with 512-bit vectors (see `MachinePeak` in Core): only run where
// `CPUFeatures.hasAVX512`.

#if arch(x86_64)
    /// Runs `iterations` x 12 independent 16-lane FMAs (acc = acc * x + y, 12 chains, enough to
    /// cover the FMA latency on two ports); returns a value that depends on every result.
    @inline(never) @_optimize(speed)
    public func fmaLoopAVX512(iterations: Int) -> Float {
        typealias V = SIMD16<Float>
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
#else
    /// Stand-in for the AVX-512 FMA loop on other architectures; traps if called (`hasAVX512` is false there).
    public func fmaLoopAVX512(iterations: Int) -> Float {
        preconditionFailure("fmaLoopAVX512: no AVX-512 on this architecture")
    }
#endif
