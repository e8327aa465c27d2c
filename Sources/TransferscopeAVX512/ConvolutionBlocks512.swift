// Micro-kernels compiled for AVX-512 (this target alone gets -mavx512f). They are deliberate
// twins of `DirectConvolution.block6x16` (AVX2): a shared generic would be compiled with one
// target's flags for both. Nothing here may run unless `CPUFeatures.hasAVX512`: callers check
// first, so the rest of the engine runs anywhere.

#if arch(x86_64)
    /// 6 output pixels x 32 output channels of a stride-1 convolution, in 512-bit registers:
    /// out[j, 0..<32] = sum over kernel rows r and t in 0..<rowLength of
    /// padded[r * rowStride + j * pixelStride + t] * weight[(r * rowLength + t) * weightStride, 0..<32].
    /// 12 accumulators; per step 2 weight loads and 6 broadcasts feed 12 FMAs.
    @inline(never)
    public func convolutionBlock6x32AVX512(
        output: UnsafeMutablePointer<Float>, outputStride: Int, padded: UnsafePointer<Float>, rowStride: Int,
        pixelStride: Int, weight: UnsafePointer<Float>, weightStride: Int, rowLength: Int, rows: Int
    ) {
        typealias V = SIMD16<Float>
        var a0 = V()
        var a1 = V()
        var b0 = V()
        var b1 = V()
        var c0 = V()
        var c1 = V()
        var d0 = V()
        var d1 = V()
        var e0 = V()
        var e1 = V()
        var f0 = V()
        var f1 = V()
        let wStride = weightStride &* 4
        let q = pixelStride
        for r in 0..<rows {
            var p = padded + r &* rowStride
            let end = p + rowLength
            var w = UnsafeRawPointer(weight + r &* rowLength &* weightStride)
            repeat {
                let w0 = w.loadUnaligned(as: V.self)
                let w1 = w.loadUnaligned(fromByteOffset: 64, as: V.self)
                var x = V(repeating: p[0])
                a0 = a0.addingProduct(x, w0)
                a1 = a1.addingProduct(x, w1)
                x = V(repeating: p[q])
                b0 = b0.addingProduct(x, w0)
                b1 = b1.addingProduct(x, w1)
                x = V(repeating: p[2 &* q])
                c0 = c0.addingProduct(x, w0)
                c1 = c1.addingProduct(x, w1)
                x = V(repeating: p[3 &* q])
                d0 = d0.addingProduct(x, w0)
                d1 = d1.addingProduct(x, w1)
                x = V(repeating: p[4 &* q])
                e0 = e0.addingProduct(x, w0)
                e1 = e1.addingProduct(x, w1)
                x = V(repeating: p[5 &* q])
                f0 = f0.addingProduct(x, w0)
                f1 = f1.addingProduct(x, w1)
                w += wStride
                p += 1
            } while p < end
        }
        let raw = UnsafeMutableRawPointer(output)
        let step = outputStride &* 4
        raw.storeBytes(of: a0, as: V.self)
        raw.storeBytes(of: a1, toByteOffset: 64, as: V.self)
        raw.storeBytes(of: b0, toByteOffset: step, as: V.self)
        raw.storeBytes(of: b1, toByteOffset: step &+ 64, as: V.self)
        raw.storeBytes(of: c0, toByteOffset: 2 &* step, as: V.self)
        raw.storeBytes(of: c1, toByteOffset: 2 &* step &+ 64, as: V.self)
        raw.storeBytes(of: d0, toByteOffset: 3 &* step, as: V.self)
        raw.storeBytes(of: d1, toByteOffset: 3 &* step &+ 64, as: V.self)
        raw.storeBytes(of: e0, toByteOffset: 4 &* step, as: V.self)
        raw.storeBytes(of: e1, toByteOffset: 4 &* step &+ 64, as: V.self)
        raw.storeBytes(of: f0, toByteOffset: 5 &* step, as: V.self)
        raw.storeBytes(of: f1, toByteOffset: 5 &* step &+ 64, as: V.self)
    }

    /// 12 output pixels x 16 output channels (for layers with 16 output channels); per step one
    /// weight load and 12 broadcasts feed 12 FMAs.
    @inline(never)
    public func convolutionBlock12x16AVX512(
        output: UnsafeMutablePointer<Float>, outputStride: Int, padded: UnsafePointer<Float>, rowStride: Int,
        pixelStride: Int, weight: UnsafePointer<Float>, weightStride: Int, rowLength: Int, rows: Int
    ) {
        typealias V = SIMD16<Float>
        var a = V()
        var b = V()
        var c = V()
        var d = V()
        var e = V()
        var f = V()
        var g = V()
        var h = V()
        var i = V()
        var j = V()
        var k = V()
        var l = V()
        let wStride = weightStride &* 4
        let q = pixelStride
        for r in 0..<rows {
            var p = padded + r &* rowStride
            let end = p + rowLength
            var w = UnsafeRawPointer(weight + r &* rowLength &* weightStride)
            repeat {
                let wv = w.loadUnaligned(as: V.self)
                a = a.addingProduct(V(repeating: p[0]), wv)
                b = b.addingProduct(V(repeating: p[q]), wv)
                c = c.addingProduct(V(repeating: p[2 &* q]), wv)
                d = d.addingProduct(V(repeating: p[3 &* q]), wv)
                e = e.addingProduct(V(repeating: p[4 &* q]), wv)
                f = f.addingProduct(V(repeating: p[5 &* q]), wv)
                g = g.addingProduct(V(repeating: p[6 &* q]), wv)
                h = h.addingProduct(V(repeating: p[7 &* q]), wv)
                i = i.addingProduct(V(repeating: p[8 &* q]), wv)
                j = j.addingProduct(V(repeating: p[9 &* q]), wv)
                k = k.addingProduct(V(repeating: p[10 &* q]), wv)
                l = l.addingProduct(V(repeating: p[11 &* q]), wv)
                w += wStride
                p += 1
            } while p < end
        }
        let raw = UnsafeMutableRawPointer(output)
        let step = outputStride &* 4
        raw.storeBytes(of: a, as: V.self)
        raw.storeBytes(of: b, toByteOffset: step, as: V.self)
        raw.storeBytes(of: c, toByteOffset: 2 &* step, as: V.self)
        raw.storeBytes(of: d, toByteOffset: 3 &* step, as: V.self)
        raw.storeBytes(of: e, toByteOffset: 4 &* step, as: V.self)
        raw.storeBytes(of: f, toByteOffset: 5 &* step, as: V.self)
        raw.storeBytes(of: g, toByteOffset: 6 &* step, as: V.self)
        raw.storeBytes(of: h, toByteOffset: 7 &* step, as: V.self)
        raw.storeBytes(of: i, toByteOffset: 8 &* step, as: V.self)
        raw.storeBytes(of: j, toByteOffset: 9 &* step, as: V.self)
        raw.storeBytes(of: k, toByteOffset: 10 &* step, as: V.self)
        raw.storeBytes(of: l, toByteOffset: 11 &* step, as: V.self)
    }
    /// 8 output pixels x 32 output channels (16 accumulators): rows of 8, 16 and 32 pixels
    /// split into whole blocks. Per step 2 weight loads and 8 broadcasts feed 16 FMAs.
    @inline(never)
    public func convolutionBlock8x32AVX512(
        output: UnsafeMutablePointer<Float>, outputStride: Int, padded: UnsafePointer<Float>, rowStride: Int,
        pixelStride: Int, weight: UnsafePointer<Float>, weightStride: Int, rowLength: Int, rows: Int
    ) {
        // The pixel stride of stride-1 layers with 16, 32, 64 or 128 input channels as a constant, so
        // that each broadcast addresses its pixel with a fixed displacement instead of an add.
        switch pixelStride {
        case 16:
            convolutionBlock8x32AVX512Body(
                output, outputStride, padded, rowStride, 16, weight, weightStride, rowLength, rows)
        case 32:
            convolutionBlock8x32AVX512Body(
                output, outputStride, padded, rowStride, 32, weight, weightStride, rowLength, rows)
        case 64:
            convolutionBlock8x32AVX512Body(
                output, outputStride, padded, rowStride, 64, weight, weightStride, rowLength, rows)
        case 128:
            convolutionBlock8x32AVX512Body(
                output, outputStride, padded, rowStride, 128, weight, weightStride, rowLength, rows)
        default:
            convolutionBlock8x32AVX512Body(
                output, outputStride, padded, rowStride, pixelStride, weight, weightStride, rowLength, rows)
        }
    }

    @inline(__always)
    func convolutionBlock8x32AVX512Body(
        _ output: UnsafeMutablePointer<Float>, _ outputStride: Int, _ padded: UnsafePointer<Float>, _ rowStride: Int,
        _ pixelStride: Int, _ weight: UnsafePointer<Float>, _ weightStride: Int, _ rowLength: Int, _ rows: Int
    ) {
        typealias V = SIMD16<Float>
        var lo0 = V()
        var hi0 = V()
        var lo1 = V()
        var hi1 = V()
        var lo2 = V()
        var hi2 = V()
        var lo3 = V()
        var hi3 = V()
        var lo4 = V()
        var hi4 = V()
        var lo5 = V()
        var hi5 = V()
        var lo6 = V()
        var hi6 = V()
        var lo7 = V()
        var hi7 = V()
        let wStride = weightStride &* 4
        let q = pixelStride
        for r in 0..<rows {
            var p = padded + r &* rowStride
            let end = p + rowLength
            var w = UnsafeRawPointer(weight + r &* rowLength &* weightStride)
            repeat {
                let w0 = w.loadUnaligned(as: V.self)
                let w1 = w.loadUnaligned(fromByteOffset: 64, as: V.self)
                var x = V(repeating: p[0])
                lo0 = lo0.addingProduct(x, w0)
                hi0 = hi0.addingProduct(x, w1)
                x = V(repeating: p[q])
                lo1 = lo1.addingProduct(x, w0)
                hi1 = hi1.addingProduct(x, w1)
                x = V(repeating: p[2 &* q])
                lo2 = lo2.addingProduct(x, w0)
                hi2 = hi2.addingProduct(x, w1)
                x = V(repeating: p[3 &* q])
                lo3 = lo3.addingProduct(x, w0)
                hi3 = hi3.addingProduct(x, w1)
                x = V(repeating: p[4 &* q])
                lo4 = lo4.addingProduct(x, w0)
                hi4 = hi4.addingProduct(x, w1)
                x = V(repeating: p[5 &* q])
                lo5 = lo5.addingProduct(x, w0)
                hi5 = hi5.addingProduct(x, w1)
                x = V(repeating: p[6 &* q])
                lo6 = lo6.addingProduct(x, w0)
                hi6 = hi6.addingProduct(x, w1)
                x = V(repeating: p[7 &* q])
                lo7 = lo7.addingProduct(x, w0)
                hi7 = hi7.addingProduct(x, w1)
                w += wStride
                p += 1
            } while p < end
        }
        let raw = UnsafeMutableRawPointer(output)
        let step = outputStride &* 4
        raw.storeBytes(of: lo0, as: V.self)
        raw.storeBytes(of: hi0, toByteOffset: 64, as: V.self)
        raw.storeBytes(of: lo1, toByteOffset: step, as: V.self)
        raw.storeBytes(of: hi1, toByteOffset: step &+ 64, as: V.self)
        raw.storeBytes(of: lo2, toByteOffset: 2 &* step, as: V.self)
        raw.storeBytes(of: hi2, toByteOffset: 2 &* step &+ 64, as: V.self)
        raw.storeBytes(of: lo3, toByteOffset: 3 &* step, as: V.self)
        raw.storeBytes(of: hi3, toByteOffset: 3 &* step &+ 64, as: V.self)
        raw.storeBytes(of: lo4, toByteOffset: 4 &* step, as: V.self)
        raw.storeBytes(of: hi4, toByteOffset: 4 &* step &+ 64, as: V.self)
        raw.storeBytes(of: lo5, toByteOffset: 5 &* step, as: V.self)
        raw.storeBytes(of: hi5, toByteOffset: 5 &* step &+ 64, as: V.self)
        raw.storeBytes(of: lo6, toByteOffset: 6 &* step, as: V.self)
        raw.storeBytes(of: hi6, toByteOffset: 6 &* step &+ 64, as: V.self)
        raw.storeBytes(of: lo7, toByteOffset: 7 &* step, as: V.self)
        raw.storeBytes(of: hi7, toByteOffset: 7 &* step &+ 64, as: V.self)
    }

    /// 16 output pixels x 16 output channels (16 accumulators), for 16-channel layers on rows of
    /// 16 and 32 pixels. Per step one weight load and 16 broadcasts feed 16 FMAs.
    @inline(never)
    public func convolutionBlock16x16AVX512(
        output: UnsafeMutablePointer<Float>, outputStride: Int, padded: UnsafePointer<Float>, rowStride: Int,
        pixelStride: Int, weight: UnsafePointer<Float>, weightStride: Int, rowLength: Int, rows: Int
    ) {
        // The pixel stride of stride-1 layers with 16, 32, 64 or 128 input channels as a constant, so
        // that each broadcast addresses its pixel with a fixed displacement instead of an add.
        switch pixelStride {
        case 16:
            convolutionBlock16x16AVX512Body(
                output, outputStride, padded, rowStride, 16, weight, weightStride, rowLength, rows)
        case 32:
            convolutionBlock16x16AVX512Body(
                output, outputStride, padded, rowStride, 32, weight, weightStride, rowLength, rows)
        case 64:
            convolutionBlock16x16AVX512Body(
                output, outputStride, padded, rowStride, 64, weight, weightStride, rowLength, rows)
        case 128:
            convolutionBlock16x16AVX512Body(
                output, outputStride, padded, rowStride, 128, weight, weightStride, rowLength, rows)
        default:
            convolutionBlock16x16AVX512Body(
                output, outputStride, padded, rowStride, pixelStride, weight, weightStride, rowLength, rows)
        }
    }

    @inline(__always)
    func convolutionBlock16x16AVX512Body(
        _ output: UnsafeMutablePointer<Float>, _ outputStride: Int, _ padded: UnsafePointer<Float>, _ rowStride: Int,
        _ pixelStride: Int, _ weight: UnsafePointer<Float>, _ weightStride: Int, _ rowLength: Int, _ rows: Int
    ) {
        typealias V = SIMD16<Float>
        var lo0 = V()
        var lo1 = V()
        var lo2 = V()
        var lo3 = V()
        var lo4 = V()
        var lo5 = V()
        var lo6 = V()
        var lo7 = V()
        var lo8 = V()
        var lo9 = V()
        var lo10 = V()
        var lo11 = V()
        var lo12 = V()
        var lo13 = V()
        var lo14 = V()
        var lo15 = V()
        let wStride = weightStride &* 4
        let q = pixelStride
        for r in 0..<rows {
            var p = padded + r &* rowStride
            let end = p + rowLength
            var w = UnsafeRawPointer(weight + r &* rowLength &* weightStride)
            repeat {
                let w0 = w.loadUnaligned(as: V.self)
                var x = V(repeating: p[0])
                lo0 = lo0.addingProduct(x, w0)
                x = V(repeating: p[q])
                lo1 = lo1.addingProduct(x, w0)
                x = V(repeating: p[2 &* q])
                lo2 = lo2.addingProduct(x, w0)
                x = V(repeating: p[3 &* q])
                lo3 = lo3.addingProduct(x, w0)
                x = V(repeating: p[4 &* q])
                lo4 = lo4.addingProduct(x, w0)
                x = V(repeating: p[5 &* q])
                lo5 = lo5.addingProduct(x, w0)
                x = V(repeating: p[6 &* q])
                lo6 = lo6.addingProduct(x, w0)
                x = V(repeating: p[7 &* q])
                lo7 = lo7.addingProduct(x, w0)
                x = V(repeating: p[8 &* q])
                lo8 = lo8.addingProduct(x, w0)
                x = V(repeating: p[9 &* q])
                lo9 = lo9.addingProduct(x, w0)
                x = V(repeating: p[10 &* q])
                lo10 = lo10.addingProduct(x, w0)
                x = V(repeating: p[11 &* q])
                lo11 = lo11.addingProduct(x, w0)
                x = V(repeating: p[12 &* q])
                lo12 = lo12.addingProduct(x, w0)
                x = V(repeating: p[13 &* q])
                lo13 = lo13.addingProduct(x, w0)
                x = V(repeating: p[14 &* q])
                lo14 = lo14.addingProduct(x, w0)
                x = V(repeating: p[15 &* q])
                lo15 = lo15.addingProduct(x, w0)
                w += wStride
                p += 1
            } while p < end
        }
        let raw = UnsafeMutableRawPointer(output)
        let step = outputStride &* 4
        raw.storeBytes(of: lo0, as: V.self)
        raw.storeBytes(of: lo1, toByteOffset: step, as: V.self)
        raw.storeBytes(of: lo2, toByteOffset: 2 &* step, as: V.self)
        raw.storeBytes(of: lo3, toByteOffset: 3 &* step, as: V.self)
        raw.storeBytes(of: lo4, toByteOffset: 4 &* step, as: V.self)
        raw.storeBytes(of: lo5, toByteOffset: 5 &* step, as: V.self)
        raw.storeBytes(of: lo6, toByteOffset: 6 &* step, as: V.self)
        raw.storeBytes(of: lo7, toByteOffset: 7 &* step, as: V.self)
        raw.storeBytes(of: lo8, toByteOffset: 8 &* step, as: V.self)
        raw.storeBytes(of: lo9, toByteOffset: 9 &* step, as: V.self)
        raw.storeBytes(of: lo10, toByteOffset: 10 &* step, as: V.self)
        raw.storeBytes(of: lo11, toByteOffset: 11 &* step, as: V.self)
        raw.storeBytes(of: lo12, toByteOffset: 12 &* step, as: V.self)
        raw.storeBytes(of: lo13, toByteOffset: 13 &* step, as: V.self)
        raw.storeBytes(of: lo14, toByteOffset: 14 &* step, as: V.self)
        raw.storeBytes(of: lo15, toByteOffset: 15 &* step, as: V.self)
    }
#else
    // Other architectures have no AVX-512: CPUFeatures.hasAVX512 is false there, so these are never
    // called; they exist so that callers compile everywhere.
    /// Stand-in for the 6-pixel x 32-channel AVX-512 block on other architectures; traps if called.
    public func convolutionBlock6x32AVX512(
        output: UnsafeMutablePointer<Float>, outputStride: Int, padded: UnsafePointer<Float>, rowStride: Int,
        pixelStride: Int, weight: UnsafePointer<Float>, weightStride: Int, rowLength: Int, rows: Int
    ) { preconditionFailure("AVX-512 kernel called on a processor without AVX-512") }

    /// Stand-in for the 12-pixel x 16-channel AVX-512 block on other architectures; traps if called.
    public func convolutionBlock12x16AVX512(
        output: UnsafeMutablePointer<Float>, outputStride: Int, padded: UnsafePointer<Float>, rowStride: Int,
        pixelStride: Int, weight: UnsafePointer<Float>, weightStride: Int, rowLength: Int, rows: Int
    ) { preconditionFailure("AVX-512 kernel called on a processor without AVX-512") }
    /// Stand-in for the 8-pixel x 32-channel AVX-512 block on other architectures; traps if called.
    public func convolutionBlock8x32AVX512(
        output: UnsafeMutablePointer<Float>, outputStride: Int, padded: UnsafePointer<Float>, rowStride: Int,
        pixelStride: Int, weight: UnsafePointer<Float>, weightStride: Int, rowLength: Int, rows: Int
    ) { preconditionFailure("AVX-512 kernel called on a processor without AVX-512") }

    /// Stand-in for the 16-pixel x 16-channel AVX-512 block on other architectures; traps if called.
    public func convolutionBlock16x16AVX512(
        output: UnsafeMutablePointer<Float>, outputStride: Int, padded: UnsafePointer<Float>, rowStride: Int,
        pixelStride: Int, weight: UnsafePointer<Float>, weightStride: Int, rowLength: Int, rows: Int
    ) { preconditionFailure("AVX-512 kernel called on a processor without AVX-512") }
#endif
