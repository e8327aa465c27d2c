import TransferscopeAVX512

/// The weight gradient of a convolution computed directly with SIMD FMAs, with no im2col copy,
/// no padded copy and no sgemm packing: dW[ky, kx, c, o] = sum over images n and output pixels
/// (y, x) of X[n, y s - p + ky, x s - p + kx, c] dY[n, y, x, o], the terms outside the image left out.
///
/// Register blocking: a tile of input channels x output channels of one tap is held in registers
/// (8 x 32 or 16 x 16 with AVX-512, `weightGradientBlock8x32AVX512`; 4 x 16 with AVX2,
/// `block4x16`) while the pixels of a chunk (whole images, or a band of one image's rows) stream
/// through: per pixel, one or two vector loads of dY and one broadcast of X per channel. A chunk
/// is sized so that its dY and X stay in L1 while every tap and tile passes over it.
///
/// The summation order is fixed by the geometry (chunks in order; within one, images, rows and
/// pixels in order), so a worker's partial gradient has the same bits on every run.
public enum WeightGradient {
    /// Whether the direct weight gradient applies: `kernels.directWeightGradient`, channels that the
    /// register tiles divide (output channels a multiple of 16; input channels a multiple of 8 or 16
    /// with AVX-512, of 4 with AVX2), and with AVX2 at most 64 input and output channels. Any kernel
    /// size, stride and padding.
    ///
    /// Measured (dW alone, batch 32, one thread, GFLOP/s direct vs im2col + sgemm, best of 12, on a
    /// Xeon with AVX-512; `TransferscopeBenchmarks x wgrad-C-O-HW-K-S`): with AVX-512, 16 -> 16 on
    /// 32x32 103 vs 29; 64 on 8x8 145 vs 106; 3x3 stride 2, 16 -> 32 on 32x32 82 vs 46; 256 on 8x8
    /// 115 vs 117; 512 on 4x4 113 vs 118. With AVX2 (and OpenBLAS's Haswell kernels): 32 on 16x16
    /// 49 vs 37; 64 on 8x8 51 vs 43; 128 on 16x16 36 vs 53, hence the limit.
    public static func supports(_ g: ConvolutionGeometry, kernels: ConvolutionKernels) -> Bool {
        kernels.directWeightGradient && tile(g, avx512: kernels.avx512) != nil
            && (kernels.avx512 || max(g.inputChannels, g.outputChannels) <= 64)
    }

    /// The register tile for `g`: (input channels, output channels, kernel), or nil where none fits.
    static func tile(_ g: ConvolutionGeometry, avx512: Bool) -> (channels: Int, outputs: Int, block: Block)? {
        let (c, o) = (g.inputChannels, g.outputChannels)
        if avx512 {
            if o % 32 == 0 && c % 8 == 0 { return (8, 32, weightGradientBlock8x32AVX512) }
            if o % 16 == 0 && c % 16 == 0 { return (16, 16, weightGradientBlock16x16AVX512) }
            return nil
        }
        if o % 16 == 0 && c % 4 == 0 { return (4, 16, block4x16) }
        return nil
    }

    /// A register tile: gradient[i * gradientStride + 0..<outputs] += sum over images m, rows r and
    /// pixels j of x[m * xImageStride + r * xRowStride + j * xPixelStride + i]
    ///     * dy[m * dyImageStride + r * dyRowStride + j * dyPixelStride + 0..<outputs].
    typealias Block = (
        _ gradient: UnsafeMutablePointer<Float>, _ gradientStride: Int, _ x: UnsafePointer<Float>, _ xRowStride: Int,
        _ xPixelStride: Int, _ dy: UnsafePointer<Float>, _ dyRowStride: Int, _ dyPixelStride: Int, _ pixels: Int,
        _ rows: Int, _ images: Int, _ xImageStride: Int, _ dyImageStride: Int
    ) -> Void

    /// Output pixels per chunk of the batch: their dY and X (about 16 KB for narrow layers) stay in
    /// L1 while every tap and tile passes over them; at least `minimumChunkPixels`, so that on wide
    /// layers, whose dW no longer fits L1 or L2, each dW tile loaded and stored serves many pixels.
    static let chunkFloats = 4096
    static let minimumChunkPixels = 128

    /// A chunk: whole images where one image's output is at most a chunk, else a band of rows of one image.
    static func chunk(_ g: ConvolutionGeometry) -> (images: Int, rows: Int) {
        let pixels = max(minimumChunkPixels, chunkFloats / (g.inputChannels + g.outputChannels))
        if g.outputPixels <= pixels { return (pixels / g.outputPixels, g.outputHeight) }
        let bands = (g.outputPixels + pixels - 1) / pixels
        return (1, (g.outputHeight + bands - 1) / bands)
    }

    /// One worker's dW over `images` into `partial` [kH, kW, C, O] (overwritten). The caller checked
    /// `supports(g, kernels:)`; `avx512` must match it.
    /// input: [N, H, W, C]; outputGradient: [N, OH, OW, O].
    public static func compute(
        partial: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>,
        images: Range<Int>, geometry g: ConvolutionGeometry, avx512: Bool
    ) {
        guard let (tileChannels, tileOutputs, block) = tile(g, avx512: avx512) else {
            preconditionFailure("WeightGradient: no register tile for \(g)")
        }
        let (c, o, s, p) = (g.inputChannels, g.outputChannels, g.stride, g.padding)
        let (h, w, oh, ow) = (g.inputHeight, g.inputWidth, g.outputHeight, g.outputWidth)
        partial.update(repeating: 0, count: g.patchSize * o)
        let (groupImages, bandRows) = chunk(g)
        for n in stride(from: images.lowerBound, to: images.upperBound, by: groupImages) {
            let count = min(groupImages, images.upperBound - n)
            let x = input + n * g.inputImageSize
            let dy = outputGradient + n * g.outputImageSize
            for y0 in stride(from: 0, to: oh, by: bandRows) {
                let y1 = min(y0 + bandRows, oh)
                for ky in 0..<g.kernelHeight {
                    // Output rows whose input row y s - p + ky lies inside the image.
                    let first = max(y0, ceilDivide(p - ky, s))
                    let last = min(y1 - 1, floorDivide(h - 1 + p - ky, s))
                    guard first <= last else { continue }
                    for kx in 0..<g.kernelWidth {
                        let left = max(0, ceilDivide(p - kx, s))
                        let right = min(ow - 1, floorDivide(w - 1 + p - kx, s))
                        guard left <= right else { continue }
                        let xStart = x + ((first * s - p + ky) * w + left * s - p + kx) * c
                        let dyStart = dy + (first * ow + left) * o
                        let tap = partial + (ky * g.kernelWidth + kx) * c * o
                        for cb in stride(from: 0, to: c, by: tileChannels) {
                            for ob in stride(from: 0, to: o, by: tileOutputs) {
                                block(
                                    tap + cb * o + ob, o, xStart + cb, s * w * c, s * c, dyStart + ob, ow * o, o,
                                    right - left + 1, last - first + 1, count, g.inputImageSize, g.outputImageSize)
                            }
                        }
                    }
                }
            }
        }
    }

    /// ceil(a / b) for b > 0 and any sign of a.
    static func ceilDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
    /// floor(a / b) for b > 0 and any sign of a.
    static func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// 4 input channels x 16 output channels in 256-bit registers (the AVX2 tile): 8 accumulators;
    /// per pixel 2 loads of dy and 4 broadcasts of x feed 8 FMAs.
    @inline(never)
    static func block4x16(
        gradient: UnsafeMutablePointer<Float>, gradientStride: Int, x: UnsafePointer<Float>, xRowStride: Int,
        xPixelStride: Int, dy: UnsafePointer<Float>, dyRowStride: Int, dyPixelStride: Int, pixels: Int, rows: Int,
        images: Int, xImageStride: Int, dyImageStride: Int
    ) {
        typealias V = SIMD8<Float>
        let out = UnsafeMutableRawPointer(gradient)
        let step = gradientStride &* 4
        var a0 = out.loadUnaligned(as: V.self)
        var a1 = out.loadUnaligned(fromByteOffset: 32, as: V.self)
        var b0 = out.loadUnaligned(fromByteOffset: step, as: V.self)
        var b1 = out.loadUnaligned(fromByteOffset: step &+ 32, as: V.self)
        var c0 = out.loadUnaligned(fromByteOffset: 2 &* step, as: V.self)
        var c1 = out.loadUnaligned(fromByteOffset: 2 &* step &+ 32, as: V.self)
        var d0 = out.loadUnaligned(fromByteOffset: 3 &* step, as: V.self)
        var d1 = out.loadUnaligned(fromByteOffset: 3 &* step &+ 32, as: V.self)
        let dyStep = dyPixelStride &* 4
        for image in 0..<images {
            for r in 0..<rows {
                var p = x + (image &* xImageStride &+ r &* xRowStride)
                var d = UnsafeRawPointer(dy + (image &* dyImageStride &+ r &* dyRowStride))
                for _ in 0..<pixels {
                    let u = d.loadUnaligned(as: V.self)
                    let v = d.loadUnaligned(fromByteOffset: 32, as: V.self)
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
                    p += xPixelStride
                    d += dyStep
                }
            }
        }
        out.storeBytes(of: a0, as: V.self)
        out.storeBytes(of: a1, toByteOffset: 32, as: V.self)
        out.storeBytes(of: b0, toByteOffset: step, as: V.self)
        out.storeBytes(of: b1, toByteOffset: step &+ 32, as: V.self)
        out.storeBytes(of: c0, toByteOffset: 2 &* step, as: V.self)
        out.storeBytes(of: c1, toByteOffset: 2 &* step &+ 32, as: V.self)
        out.storeBytes(of: d0, toByteOffset: 3 &* step, as: V.self)
        out.storeBytes(of: d1, toByteOffset: 3 &* step &+ 32, as: V.self)
    }
}
