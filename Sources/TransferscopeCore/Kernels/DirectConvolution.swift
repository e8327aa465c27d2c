import TransferscopeAVX512

/// Stride-1 "same" convolution (odd k x k kernel, padding k/2) on NHWC activations, computed
/// directly with SIMD FMAs instead of im2col + sgemm. For the narrow layers of the CIFAR
/// ResNets (16 to 64 channels) im2col and sgemm's packing cost more than the multiply-adds.
///
/// Register blocking: blocks of output pixels x output channels held in registers (`block6x16`
/// for AVX2; 8x32, 16x16, 6x32 and 12x16 in `TransferscopeAVX512` where the processor has
/// AVX-512); each input value is broadcast once per block of channels, each weight row loaded
/// once per block of pixels. In the backward pass it computes the input gradient (the forward
/// kernel on the adjoint weights); the weight gradient has its own kernel, `WeightGradient`.
public enum DirectConvolution {
    /// Whether the direct kernel applies and pays: stride 1, odd square kernel with padding
    /// k/2, output channels a multiple of 16, and at most `kernels.maximumDirectInputChannels` inputs.
    /// Measured (batch 128, 3x3, 2 threads; GFLOP/s direct vs im2col + sgemm, forward and
    /// backward): with AVX-512, 16 channels on 32x32: 76 vs 40 and 70 vs 33; 32 on 16x16: 102
    /// vs 66 and 67 vs 64; 64 on 8x8: 77 vs 98 and 59 vs 93. With AVX2 only the direct kernel
    /// wins at 16 channels and loses from 32 on. Kept at 16 until benchmarks decide. The drift of
    /// the PyTorch fixtures with 32 input channels on one worker (3e-4 after three SGD steps) is
    /// float32 rounding, not a kernel error: at step 3 one ReLU input of resnet20 is -3e-6 on the
    /// other paths and +2e-7 on that one (float32 paths differ by ~3e-6 there), and the flipped
    /// ReLU moves the gradients beneath it by 3e-3; a 1-ulp change of the initial weights moves
    /// the default kernels as far. `DirectConvolutionTests` checks 32 and 64 channels against float64.
    /// (The backward figures above predate `WeightGradient` and include the weight gradient.)
    public static func supports(_ g: ConvolutionGeometry, kernels: ConvolutionKernels) -> Bool {
        kernels.direct && g.stride == 1 && g.kernelHeight == g.kernelWidth && g.kernelHeight % 2 == 1
            && g.padding == g.kernelHeight / 2 && g.outputChannels % 16 == 0
            && g.inputChannels <= kernels.maximumDirectInputChannels
    }

    /// Whether the forward pass runs the direct kernel: where `supports` says so, and with AVX-512
    /// also up to `kernels.maximumDirectForwardInputChannels` inputs where the register blocks tile
    /// the output rows exactly (8 x 32 or 16 x 16: no pixel computed twice). `forwardImage` also
    /// computes stride 2 (`kernels.directStrideTwo`; `DirectConvolutionTests` checks it against
    /// float64 with NaN-filled scratch). It was off by default until the free-worker chunks: with it
    /// the PyTorch parity fixtures failed on the forced `OPENBLAS_CORETYPE=Haswell` path with two
    /// workers, on every run with the same bits. That was float32 rounding, not a kernel error: one
    /// input of resnet20's layer3.1.bn1 ReLU is -1.1e-6 in float64 (the smallest of that layer; the
    /// next is 1.7e-5), every float32 path lands up to 1.1e-5 from float64 on that layer, that one
    /// landed at +3.6e-7 (the others at -6e-7 to -8e-7), and the flipped ReLU moved the gradients
    /// beneath it by 5e-3. Haswell's sgemm rounded differently with each worker's share of the
    /// batch; the im2col and BatchNorm chunks no longer depend on the worker count, and the fixtures
    /// pass with it on every BLAS path (Prescott, Haswell, SkylakeX, AVX2 convolutions) with 1, 2, 3, 4
    /// and 8 workers. Measured on an AMD EPYC (Zen 5), interleaved in one process: CIFAR ResNet-18
    /// forward +6.3-6.8%, training +1.8-2.2%, resnet20 training +1.8-1.9%.
    /// Measured with AVX-512 (batch 64, 3x3, one thread, GFLOP/s direct vs im2col + sgemm): 64
    /// channels on 32x32: 132 vs 92; 128 on 16x16: 139 vs 109; 256 on 8x8: 50 vs 124 (the
    /// weights of one block of 32 outputs, 295 KB, no longer stay in cache), so 128 is the limit;
    /// wider stride-1 layers run 8 images at a time instead (`supportsImageTiles`).
    public static func supportsForward(_ g: ConvolutionGeometry, kernels: ConvolutionKernels) -> Bool {
        if supports(g, kernels: kernels) && !g.isPointwise { return true }
        let tiles =
            (g.outputChannels % 32 == 0 && g.outputWidth % 8 == 0)
            || (g.outputChannels % 16 == 0 && g.outputWidth % 16 == 0)
        return kernels.direct && kernels.avx512 && tiles
            && (g.stride == 1 || (kernels.directStrideTwo && g.stride == 2))
            && g.kernelHeight == g.kernelWidth && g.kernelHeight % 2 == 1 && g.kernelHeight > 1
            && g.padding == g.kernelHeight / 2 && g.inputChannels <= kernels.maximumDirectForwardInputChannels
    }

    /// Whether the row blocks (`forwardImage`) of a layer the direct forward pass takes row by row
    /// read its weights packed in blocks of 32 outputs (`packBlocks`): with AVX-512, where the
    /// micro-kernel's blocks are 32 channels wide and the layer has more than 32 outputs. Unpacked,
    /// a block's rows of 32 weights (128 bytes) lie O floats apart (512 bytes at 128 outputs), so
    /// the block streamed for each row of 8 pixels spans 4x its size and a fraction of the L2 sets.
    /// The same products are summed in the same order: the bits do not change.
    public static func packsRows(_ g: ConvolutionGeometry, kernels: ConvolutionKernels) -> Bool {
        kernels.avx512 && kernels.packedRows && g.outputChannels > 32
            && microKernel(width: g.outputWidth, outputChannels: g.outputChannels, avx512: true).channels == 32
    }

    /// Whether the forward pass reads `g`'s weights from packed blocks for some image size (image
    /// tiles, or packed rows on rows the 8 x 32 blocks tile): for a caller that packs once, before
    /// it knows the images (the folded model). g's batch and input size are ignored.
    public static func mayReadPackedBlocks(_ g: ConvolutionGeometry, kernels: ConvolutionKernels) -> Bool {
        // The input side that gives 8-pixel output rows.
        let side = max(1, 7 * g.stride + g.kernelHeight - 2 * g.padding)
        let sized = ConvolutionGeometry(
            batch: 1, inputHeight: side, inputWidth: side, inputChannels: g.inputChannels,
            outputChannels: g.outputChannels, kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth,
            stride: g.stride, padding: g.padding)
        return supportsImageTiles(sized, kernels: kernels)
            || (supportsForward(sized, kernels: kernels) && packsRows(sized, kernels: kernels))
    }

    /// Rows of one zero-padded image: H + 2p, plus one slack row so shifted reads stay inside.
    static func paddedRows(_ g: ConvolutionGeometry) -> Int { g.inputHeight + 2 * g.padding + 1 }
    static func paddedWidth(_ g: ConvolutionGeometry) -> Int { g.inputWidth + 2 * g.padding }
    /// Floats of one zero-padded image.
    static func paddedImageSize(_ g: ConvolutionGeometry) -> Int { paddedRows(g) * paddedWidth(g) * g.inputChannels }

    /// Copies image [H, W, C] into padded [H + 2p + 1, W + 2p, C] with zero borders.
    static func pad(
        image: UnsafePointer<Float>, geometry g: ConvolutionGeometry, into padded: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels
        let wp = paddedWidth(g)
        let p = g.padding
        let w = g.inputWidth
        // Zero only the border: p rows above, p + 1 below, p pixels left and right of each row.
        padded.update(repeating: 0, count: p * wp * c)
        for y in 0..<g.inputHeight {
            let row = padded + (y + p) * wp * c
            row.update(repeating: 0, count: p * c)
            (row + p * c).update(from: image + y * w * c, count: w * c)
            (row + (p + w) * c).update(repeating: 0, count: p * c)
        }
        (padded + (g.inputHeight + p) * wp * c).update(repeating: 0, count: (p + 1) * wp * c)
    }

    /// output[y, x, :] = sum over taps and input channels, for one image, with the AVX-512
    /// micro-kernels where `avx512` (the caller checked the processor), else the AVX2 one.
    /// padded: [H + 2p + 1, W + 2p, C]; weight: [k, k, C, O], or with `packed` in `packBlocks`'s
    /// layout (only where `packsRows` says so); output: [H, W, O] (overwritten).
    static func forwardImage(
        output: UnsafeMutablePointer<Float>, padded: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        geometry g: ConvolutionGeometry, avx512: Bool, packed: Bool = false
    ) {
        typealias V = SIMD8<Float>
        let c = g.inputChannels
        let o = g.outputChannels
        let k = g.kernelHeight
        let s = g.stride
        let wp = paddedWidth(g)
        let width = g.outputWidth
        let (blockPixels, blockChannels, block) = microKernel(width: width, outputChannels: o, avx512: avx512)
        for y in 0..<g.outputHeight {
            for ob in stride(from: 0, to: o, by: blockChannels) {
                // This block's weights: rows of `rowStride` floats, packed in blocks or not.
                let (blockWeight, rowStride) =
                    packed
                    ? (weight + (ob / blockChannels) * g.patchSize * blockChannels, blockChannels) : (weight + ob, o)
                var x = 0
                // The last block of a row overlaps the one before it rather than leaving a slow
                // tail; the pixels computed twice get the same values.
                while x < width && width >= blockPixels {
                    let start = min(x, width - blockPixels)
                    block(
                        output + (y * width + start) * o + ob, o, padded + (y * s * wp + start * s) * c, wp * c,
                        s * c, blockWeight, rowStride, k * c, k)
                    x = start + blockPixels
                }
                while x < width {
                    var a0 = V()
                    var a1 = V()
                    for ky in 0..<k {
                        for kx in 0..<k {
                            let source = padded + ((y * s + ky) * wp + x * s + kx) * c
                            var w = blockWeight + (ky * k + kx) * c * rowStride
                            for ci in 0..<c {
                                let s = V(repeating: source[ci])
                                a0 = a0.addingProduct(s, UnsafeRawPointer(w).loadUnaligned(as: V.self))
                                a1 = a1.addingProduct(s, UnsafeRawPointer(w + 8).loadUnaligned(as: V.self))
                                w += rowStride
                            }
                        }
                    }
                    let raw = UnsafeMutableRawPointer(output + (y * width + x) * o + ob)
                    raw.storeBytes(of: a0, as: V.self)
                    (raw + 32).storeBytes(of: a1, as: V.self)
                    x += 1
                }
            }
        }
    }

    /// A register block: out[j, 0..<channels] for `pixels` output pixels j of a row (see `block6x16`).
    typealias Block = (
        _ output: UnsafeMutablePointer<Float>, _ outputStride: Int, _ padded: UnsafePointer<Float>, _ rowStride: Int,
        _ pixelStride: Int, _ weight: UnsafePointer<Float>, _ weightStride: Int, _ rowLength: Int, _ rows: Int
    ) -> Void

    /// The register block for rows of `width` pixels and `outputChannels` channels: with AVX-512 the
    /// one whose pixel count divides the row (8 x 32 or 16 x 16, no pixel computed twice), else
    /// 6 x 32 or 12 x 16 with an overlapping last block; with AVX2 6 x 16.
    static func microKernel(width: Int, outputChannels o: Int, avx512: Bool) -> (
        pixels: Int, channels: Int, block: Block
    ) {
        guard avx512 else { return (6, 16, block6x16) }
        if o % 32 == 0 && width % 8 == 0 { return (8, 32, convolutionBlock8x32AVX512) }
        if o % 32 == 0 && width >= 6 { return (6, 32, convolutionBlock6x32AVX512) }
        if width % 16 == 0 { return (16, 16, convolutionBlock16x16AVX512) }
        if width >= 12 { return (12, 16, convolutionBlock12x16AVX512) }
        return (6, 16, block6x16)
    }

    /// 6 output pixels x 16 output channels: out[j, 0..<16] = sum over kernel rows r and
    /// t in 0..<rowLength of padded[r * rowStride + j * pixelStride + t]
    ///     * weight[(r * rowLength + t) * weightStride, 0..<16].
    /// 12 accumulators, 2 weight loads and 6 broadcasts per 12 FMAs.
    @inline(never)
    static func block6x16(
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
        let wStride = weightStride * 4
        let q = pixelStride
        for r in 0..<rows {
            var p = padded + r * rowStride
            let end = p + rowLength
            var w = UnsafeRawPointer(weight + r * rowLength * weightStride)
            repeat {
                let wv = w.loadUnaligned(as: V.self)
                a = a.addingProduct(V(repeating: p[0]), wv)
                b = b.addingProduct(V(repeating: p[q]), wv)
                c = c.addingProduct(V(repeating: p[2 &* q]), wv)
                d = d.addingProduct(V(repeating: p[3 &* q]), wv)
                e = e.addingProduct(V(repeating: p[4 &* q]), wv)
                f = f.addingProduct(V(repeating: p[5 &* q]), wv)
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
    }

    /// The weight of the adjoint convolution: w'[ky, kx, o, c] = w[k-1-ky, k-1-kx, c, o], so that
    /// for stride 1 and padding k/2, d(input) = conv(d(output), w').
    static func adjointWeight(
        _ weight: UnsafePointer<Float>, geometry g: ConvolutionGeometry, into result: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels
        let o = g.outputChannels
        let k = g.kernelHeight
        for ky in 0..<k {
            for kx in 0..<k {
                let source = weight + ((k - 1 - ky) * k + (k - 1 - kx)) * c * o
                let target = result + (ky * k + kx) * o * c
                for ci in 0..<c { for oi in 0..<o { target[oi * c + ci] = source[ci * o + oi] } }
            }
        }
    }

    /// The geometry of the adjoint convolution (input and output channels swapped).
    static func adjointGeometry(_ g: ConvolutionGeometry) -> ConvolutionGeometry {
        ConvolutionGeometry(
            batch: g.batch, inputHeight: g.outputHeight, inputWidth: g.outputWidth, inputChannels: g.outputChannels,
            outputChannels: g.inputChannels, kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth,
            stride: 1, padding: g.padding)
    }
}
