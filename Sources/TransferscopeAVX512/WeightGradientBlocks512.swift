// Weight-gradient micro-kernels compiled for AVX-512 (this target alone gets -mavx512f), twins of
// `WeightGradient.block4x16` (AVX2) in TransferscopeCore: a shared generic would be compiled with
// one target's flags for both. Nothing here may run unless `CPUFeatures.hasAVX512`: callers check.

#if arch(x86_64)
    /// A tile of 8 input channels x 32 output channels of one tap's weight gradient:
    /// gradient[i * gradientStride + 0..<32] += sum over rows r in 0..<rows and pixels j in 0..<pixels
    /// of x[r * xRowStride + j * xPixelStride + i] * dy[r * dyRowStride + j * dyPixelStride + 0..<32],
    /// for i in 0..<8. 16 accumulators; per pixel 2 loads of dy and 8 broadcasts of x feed 16 FMAs.
    @inline(never)
    public func weightGradientBlock8x32AVX512(
        gradient: UnsafeMutablePointer<Float>, gradientStride: Int, x: UnsafePointer<Float>, xRowStride: Int,
        xPixelStride: Int, dy: UnsafePointer<Float>, dyRowStride: Int, dyPixelStride: Int, pixels: Int, rows: Int,
        images: Int, xImageStride: Int, dyImageStride: Int
    ) {
        typealias V = SIMD16<Float>
        let out = UnsafeMutableRawPointer(gradient)
        let step = gradientStride &* 4
        var a0 = out.loadUnaligned(as: V.self)
        var a1 = out.loadUnaligned(fromByteOffset: 64, as: V.self)
        var b0 = out.loadUnaligned(fromByteOffset: step, as: V.self)
        var b1 = out.loadUnaligned(fromByteOffset: step &+ 64, as: V.self)
        var c0 = out.loadUnaligned(fromByteOffset: 2 &* step, as: V.self)
        var c1 = out.loadUnaligned(fromByteOffset: 2 &* step &+ 64, as: V.self)
        var d0 = out.loadUnaligned(fromByteOffset: 3 &* step, as: V.self)
        var d1 = out.loadUnaligned(fromByteOffset: 3 &* step &+ 64, as: V.self)
        var e0 = out.loadUnaligned(fromByteOffset: 4 &* step, as: V.self)
        var e1 = out.loadUnaligned(fromByteOffset: 4 &* step &+ 64, as: V.self)
        var f0 = out.loadUnaligned(fromByteOffset: 5 &* step, as: V.self)
        var f1 = out.loadUnaligned(fromByteOffset: 5 &* step &+ 64, as: V.self)
        var g0 = out.loadUnaligned(fromByteOffset: 6 &* step, as: V.self)
        var g1 = out.loadUnaligned(fromByteOffset: 6 &* step &+ 64, as: V.self)
        var h0 = out.loadUnaligned(fromByteOffset: 7 &* step, as: V.self)
        var h1 = out.loadUnaligned(fromByteOffset: 7 &* step &+ 64, as: V.self)
        let dyStep = dyPixelStride &* 4
        for image in 0..<images {
            for r in 0..<rows {
                var p = x + (image &* xImageStride &+ r &* xRowStride)
                var d = UnsafeRawPointer(dy + (image &* dyImageStride &+ r &* dyRowStride))
                for _ in 0..<pixels {
                    let u = d.loadUnaligned(as: V.self)
                    let v = d.loadUnaligned(fromByteOffset: 64, as: V.self)
                    var s = V(repeating: p[0])
                    a0 = a0.addingProduct(s, u)
                    a1 = a1.addingProduct(s, v)
                    s = V(repeating: p[1])
                    b0 = b0.addingProduct(s, u)
                    b1 = b1.addingProduct(s, v)
                    s = V(repeating: p[2])
                    c0 = c0.addingProduct(s, u)
                    c1 = c1.addingProduct(s, v)
                    s = V(repeating: p[3])
                    d0 = d0.addingProduct(s, u)
                    d1 = d1.addingProduct(s, v)
                    s = V(repeating: p[4])
                    e0 = e0.addingProduct(s, u)
                    e1 = e1.addingProduct(s, v)
                    s = V(repeating: p[5])
                    f0 = f0.addingProduct(s, u)
                    f1 = f1.addingProduct(s, v)
                    s = V(repeating: p[6])
                    g0 = g0.addingProduct(s, u)
                    g1 = g1.addingProduct(s, v)
                    s = V(repeating: p[7])
                    h0 = h0.addingProduct(s, u)
                    h1 = h1.addingProduct(s, v)
                    p += xPixelStride
                    d += dyStep
                }
            }
        }
        out.storeBytes(of: a0, as: V.self)
        out.storeBytes(of: a1, toByteOffset: 64, as: V.self)
        out.storeBytes(of: b0, toByteOffset: step, as: V.self)
        out.storeBytes(of: b1, toByteOffset: step &+ 64, as: V.self)
        out.storeBytes(of: c0, toByteOffset: 2 &* step, as: V.self)
        out.storeBytes(of: c1, toByteOffset: 2 &* step &+ 64, as: V.self)
        out.storeBytes(of: d0, toByteOffset: 3 &* step, as: V.self)
        out.storeBytes(of: d1, toByteOffset: 3 &* step &+ 64, as: V.self)
        out.storeBytes(of: e0, toByteOffset: 4 &* step, as: V.self)
        out.storeBytes(of: e1, toByteOffset: 4 &* step &+ 64, as: V.self)
        out.storeBytes(of: f0, toByteOffset: 5 &* step, as: V.self)
        out.storeBytes(of: f1, toByteOffset: 5 &* step &+ 64, as: V.self)
        out.storeBytes(of: g0, toByteOffset: 6 &* step, as: V.self)
        out.storeBytes(of: g1, toByteOffset: 6 &* step &+ 64, as: V.self)
        out.storeBytes(of: h0, toByteOffset: 7 &* step, as: V.self)
        out.storeBytes(of: h1, toByteOffset: 7 &* step &+ 64, as: V.self)
    }

    /// The same for a tile of 16 input channels x 16 output channels (layers with 16 outputs):
    /// 16 accumulators; per pixel one load of dy and 16 broadcasts of x feed 16 FMAs.
    @inline(never)
    public func weightGradientBlock16x16AVX512(
        gradient: UnsafeMutablePointer<Float>, gradientStride: Int, x: UnsafePointer<Float>, xRowStride: Int,
        xPixelStride: Int, dy: UnsafePointer<Float>, dyRowStride: Int, dyPixelStride: Int, pixels: Int, rows: Int,
        images: Int, xImageStride: Int, dyImageStride: Int
    ) {
        typealias V = SIMD16<Float>
        let out = UnsafeMutableRawPointer(gradient)
        let step = gradientStride &* 4
        var a = out.loadUnaligned(as: V.self)
        var b = out.loadUnaligned(fromByteOffset: step, as: V.self)
        var c = out.loadUnaligned(fromByteOffset: 2 &* step, as: V.self)
        var e = out.loadUnaligned(fromByteOffset: 3 &* step, as: V.self)
        var f = out.loadUnaligned(fromByteOffset: 4 &* step, as: V.self)
        var g = out.loadUnaligned(fromByteOffset: 5 &* step, as: V.self)
        var h = out.loadUnaligned(fromByteOffset: 6 &* step, as: V.self)
        var i = out.loadUnaligned(fromByteOffset: 7 &* step, as: V.self)
        var j = out.loadUnaligned(fromByteOffset: 8 &* step, as: V.self)
        var k = out.loadUnaligned(fromByteOffset: 9 &* step, as: V.self)
        var l = out.loadUnaligned(fromByteOffset: 10 &* step, as: V.self)
        var m = out.loadUnaligned(fromByteOffset: 11 &* step, as: V.self)
        var n = out.loadUnaligned(fromByteOffset: 12 &* step, as: V.self)
        var o = out.loadUnaligned(fromByteOffset: 13 &* step, as: V.self)
        var q = out.loadUnaligned(fromByteOffset: 14 &* step, as: V.self)
        var t = out.loadUnaligned(fromByteOffset: 15 &* step, as: V.self)
        let dyStep = dyPixelStride &* 4
        for image in 0..<images {
            for r in 0..<rows {
                var p = x + (image &* xImageStride &+ r &* xRowStride)
                var d = UnsafeRawPointer(dy + (image &* dyImageStride &+ r &* dyRowStride))
                for _ in 0..<pixels {
                    let u = d.loadUnaligned(as: V.self)
                    a = a.addingProduct(V(repeating: p[0]), u)
                    b = b.addingProduct(V(repeating: p[1]), u)
                    c = c.addingProduct(V(repeating: p[2]), u)
                    e = e.addingProduct(V(repeating: p[3]), u)
                    f = f.addingProduct(V(repeating: p[4]), u)
                    g = g.addingProduct(V(repeating: p[5]), u)
                    h = h.addingProduct(V(repeating: p[6]), u)
                    i = i.addingProduct(V(repeating: p[7]), u)
                    j = j.addingProduct(V(repeating: p[8]), u)
                    k = k.addingProduct(V(repeating: p[9]), u)
                    l = l.addingProduct(V(repeating: p[10]), u)
                    m = m.addingProduct(V(repeating: p[11]), u)
                    n = n.addingProduct(V(repeating: p[12]), u)
                    o = o.addingProduct(V(repeating: p[13]), u)
                    q = q.addingProduct(V(repeating: p[14]), u)
                    t = t.addingProduct(V(repeating: p[15]), u)
                    p += xPixelStride
                    d += dyStep
                }
            }
        }
        out.storeBytes(of: a, as: V.self)
        out.storeBytes(of: b, toByteOffset: step, as: V.self)
        out.storeBytes(of: c, toByteOffset: 2 &* step, as: V.self)
        out.storeBytes(of: e, toByteOffset: 3 &* step, as: V.self)
        out.storeBytes(of: f, toByteOffset: 4 &* step, as: V.self)
        out.storeBytes(of: g, toByteOffset: 5 &* step, as: V.self)
        out.storeBytes(of: h, toByteOffset: 6 &* step, as: V.self)
        out.storeBytes(of: i, toByteOffset: 7 &* step, as: V.self)
        out.storeBytes(of: j, toByteOffset: 8 &* step, as: V.self)
        out.storeBytes(of: k, toByteOffset: 9 &* step, as: V.self)
        out.storeBytes(of: l, toByteOffset: 10 &* step, as: V.self)
        out.storeBytes(of: m, toByteOffset: 11 &* step, as: V.self)
        out.storeBytes(of: n, toByteOffset: 12 &* step, as: V.self)
        out.storeBytes(of: o, toByteOffset: 13 &* step, as: V.self)
        out.storeBytes(of: q, toByteOffset: 14 &* step, as: V.self)
        out.storeBytes(of: t, toByteOffset: 15 &* step, as: V.self)
    }
#endif
