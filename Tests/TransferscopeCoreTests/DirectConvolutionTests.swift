import Testing

@testable import TransferscopeCore

/// The direct convolution (AVX2 blocks, and AVX-512 blocks where the processor has them), the
/// direct weight gradient (`WeightGradient`) and im2col + sgemm against a float64 convolution,
/// forward and both gradients, on 1 and 2 workers, as a model would run them, also above the
/// default direct-kernel width.
///
/// Every scratch buffer is filled with NaN first: a kernel that read a float it had not written
/// (a stale padded row, adjoint weights overwritten by a partial gradient) would return NaN. The
/// shapes cover the forward blocks and their overlapping last block (6x32 from width 6, 12x16 from
/// width 12), the per-pixel tail (width 4), the pixel strides the AVX-512 blocks take as constants
/// (16, 32, 64 and 128 input channels) and one they do not (8); every weight-gradient tile (8x32 and 16x16 with
/// AVX-512, 4x16 with AVX2) and the fallback where none fits (12 input channels with AVX-512);
/// strides 1 and 2, 1x1, 3x3 and 7x7 kernels, odd sides (taps whose valid rows and columns are
/// clipped differently at each border); chunks of several images with a partial last one (64
/// channels on 8x8, batch 3) and bands of rows within one image (32 channels on 32x32); the direct
/// stride-2 forward (`directStrideTwo`) at the shapes ResNets give it (16->32 on 32x32, 32->64 on
/// 16x16, 64->128 on 32x32, 128 input channels, the odd sides 15 and 31 whose last tap reads the
/// last padded column, and 7x7, whose 4-pixel rows no block tiles), on by default, and with it off.
@Suite("Direct convolution")
struct DirectConvolutionTests {
    /// Float32's unit roundoff.
    static let u = Double(Float.ulpOfOne) / 2
    /// Floats of NaN put in each worker's scratch buffers before a run: more than any case asks.
    static let poisonCount = 1 << 20

    struct Case: CustomTestStringConvertible, Sendable {
        var inputChannels: Int, outputChannels: Int, side: Int, batch: Int, kernel = 3, stride = 1
        var testDescription: String {
            "\(inputChannels)->\(outputChannels) \(kernel)x\(kernel)/\(stride) on \(batch)x\(side)x\(side)"
        }

        var geometry: ConvolutionGeometry {
            ConvolutionGeometry(
                batch: batch, inputHeight: side, inputWidth: side, inputChannels: inputChannels,
                outputChannels: outputChannels, kernelHeight: kernel, kernelWidth: kernel, stride: stride,
                padding: kernel / 2)
        }
    }

    /// Standard normal input, weight and output gradient for `g`, drawn in that order.
    static func randomData(
        _ g: ConvolutionGeometry, generator: inout RandomGenerator
    ) -> (x: [Float], weight: [Float], dy: [Float]) {
        func draw(_ count: Int) -> [Float] { (0..<count).map { _ in Float(generator.nextNormal()) } }
        return (
            draw(g.batch * g.inputImageSize), draw(g.patchSize * g.outputChannels), draw(g.batch * g.outputImageSize)
        )
    }

    /// The output, input gradient and weight gradient of one convolution.
    struct Values {
        var output: [Double]
        var inputGradient: [Double]
        var weightGradient: [Double]
    }

    /// The exact results (to float64) and, per element, sum |a b| over its terms.
    /// x: [N, H, W, C]; weight: [k, k, C, O]; dy: [N, OH, OW, O].
    static func reference(
        x: [Float], weight: [Float], dy: [Float], geometry g: ConvolutionGeometry
    ) -> (exact: Values, magnitude: Values) {
        let (c, o, h, w) = (g.inputChannels, g.outputChannels, g.inputHeight, g.inputWidth)
        let (oh, ow, k, s, p) = (g.outputHeight, g.outputWidth, g.kernelHeight, g.stride, g.padding)
        var exact = Values(
            output: Array(repeating: 0, count: dy.count), inputGradient: Array(repeating: 0, count: x.count),
            weightGradient: Array(repeating: 0, count: weight.count))
        var magnitude = exact
        for n in 0..<g.batch {
            for y in 0..<oh {
                for xo in 0..<ow {
                    let outputRow = ((n * oh + y) * ow + xo) * o
                    for ky in 0..<k {
                        for kx in 0..<k {
                            let iy = y * s - p + ky
                            let ix = xo * s - p + kx
                            guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
                            let inputRow = ((n * h + iy) * w + ix) * c
                            for ci in 0..<c {
                                let a = Double(x[inputRow + ci])
                                let weightRow = ((ky * k + kx) * c + ci) * o
                                for oi in 0..<o {
                                    let b = Double(weight[weightRow + oi])
                                    let d = Double(dy[outputRow + oi])
                                    exact.output[outputRow + oi] += a * b
                                    magnitude.output[outputRow + oi] += abs(a * b)
                                    exact.inputGradient[inputRow + ci] += d * b
                                    magnitude.inputGradient[inputRow + ci] += abs(d * b)
                                    exact.weightGradient[weightRow + oi] += a * d
                                    magnitude.weightGradient[weightRow + oi] += abs(a * d)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (exact, magnitude)
    }

    /// One forward and backward pass with `kernels` on `workers` workers, in fresh workspaces
    /// whose buffers hold NaN; expects the run not to have outgrown them.
    static func run(
        x: [Float], weight: [Float], dy: [Float], geometry g: ConvolutionGeometry, kernels: ConvolutionKernels,
        workers: Int
    ) -> Values {
        let columns = Workspace()
        let gradients = Workspace()
        var poisoned: [UnsafeMutablePointer<Float>] = []
        for worker in 0..<workers {
            for workspace in [columns, gradients] {
                let buffer = workspace.floats(worker: worker, count: poisonCount)
                buffer.update(repeating: .nan, count: poisonCount)
                poisoned.append(buffer)
            }
        }
        var output = [Float](repeating: 0, count: dy.count)
        var inputGradient = [Float](repeating: 0, count: x.count)
        var weightGradient = [Float](repeating: 0, count: weight.count)
        Parallel.withWorkers(workers) {
            ConvolutionKernels.$current.withValue(kernels) {
                Convolution.forward(
                    output: &output, input: x, weight: weight, bias: nil, geometry: g, workspace: columns)
                Convolution.backward(
                    inputGradient: &inputGradient, weightGradient: &weightGradient, biasGradient: nil,
                    outputGradient: dy, input: x, weight: weight, geometry: g, workspace: columns,
                    gradientWorkspace: gradients)
            }
        }
        let after = (0..<workers).flatMap {
            [columns.floats(worker: $0, count: 1), gradients.floats(worker: $0, count: 1)]
        }
        #expect(after == poisoned, "a scratch buffer grew past the NaN-filled \(poisonCount) floats; raise poisonCount")
        return Values(
            output: output.map(Double.init), inputGradient: inputGradient.map(Double.init),
            weightGradient: weightGradient.map(Double.init))
    }

    /// The largest |ours - exact| / ((K + 2) u sum |a b|) over `ours`: at most 1 for any summation
    /// order of K products (Higham, Thm 3.5); infinite for a NaN.
    static func worstRatio(_ ours: [Double], _ exact: [Double], _ magnitude: [Double], terms: Int) -> Double {
        var worst = 0.0
        for i in ours.indices {
            let bound = Double(terms + 2) * u * magnitude[i]
            let ratio = abs(ours[i] - exact[i]) / max(bound, .leastNonzeroMagnitude)
            worst = ratio.isNaN ? .infinity : max(worst, ratio)
        }
        return worst
    }

    @Test(
        "Direct and im2col kernels agree with float64, on 1 and 2 workers",
        arguments: [
            Case(inputChannels: 16, outputChannels: 16, side: 32, batch: 3),
            Case(inputChannels: 16, outputChannels: 32, side: 15, batch: 3, stride: 2),
            Case(inputChannels: 16, outputChannels: 32, side: 16, batch: 3, kernel: 1, stride: 2),
            Case(inputChannels: 32, outputChannels: 64, side: 8, batch: 3, kernel: 1),
            Case(inputChannels: 12, outputChannels: 16, side: 9, batch: 2),
            Case(inputChannels: 8, outputChannels: 32, side: 8, batch: 2),
            Case(inputChannels: 16, outputChannels: 32, side: 19, batch: 2, kernel: 7, stride: 2),
            Case(inputChannels: 128, outputChannels: 32, side: 8, batch: 2),
            Case(inputChannels: 32, outputChannels: 32, side: 8, batch: 3),
            Case(inputChannels: 64, outputChannels: 64, side: 8, batch: 3),
            Case(inputChannels: 32, outputChannels: 16, side: 16, batch: 13),
            Case(inputChannels: 64, outputChannels: 32, side: 16, batch: 3),
            Case(inputChannels: 32, outputChannels: 16, side: 32, batch: 4),
            Case(inputChannels: 64, outputChannels: 32, side: 4, batch: 2),
            Case(inputChannels: 16, outputChannels: 32, side: 32, batch: 2, stride: 2),
            Case(inputChannels: 32, outputChannels: 64, side: 16, batch: 3, stride: 2),
            Case(inputChannels: 64, outputChannels: 128, side: 32, batch: 2, stride: 2),
            Case(inputChannels: 128, outputChannels: 128, side: 16, batch: 2, stride: 2),
            Case(inputChannels: 16, outputChannels: 16, side: 31, batch: 3, stride: 2),
            Case(inputChannels: 32, outputChannels: 64, side: 7, batch: 3, stride: 2),
            Case(inputChannels: 160, outputChannels: 160, side: 3, batch: 17),
            Case(inputChannels: 144, outputChannels: 32, side: 4, batch: 17),
            // Three packed blocks of 32 outputs on rows of 6 (6 x 32 blocks), forward and dX.
            Case(inputChannels: 64, outputChannels: 96, side: 6, batch: 3),
        ])
    func agreesWithFloat64(_ c: Case) {
        let g = c.geometry
        var generator = RandomGenerator(seed: UInt64(c.inputChannels * 1000 + c.outputChannels * 10 + c.side))
        let (x, weight, dy) = Self.randomData(g, generator: &generator)
        let (exact, magnitude) = Self.reference(x: x, weight: weight, dy: dy, geometry: g)
        let width = max(g.inputChannels, g.outputChannels)
        // The stride-2 cases whose rows the 8 x 32 or 16 x 16 blocks tile do run the direct forward.
        let tiled = g.outputWidth % 16 == 0 || (g.outputChannels % 32 == 0 && g.outputWidth % 8 == 0)
        if CPUFeatures.hasAVX512 && g.stride == 2 && g.kernelHeight == 3 && tiled {
            #expect(
                DirectConvolution.supportsForward(g, kernels: ConvolutionKernels(avx512: true, directStrideTwo: true)))
        }
        // Layers wider than 128 inputs run 8 images at a time (forward, and dX where the adjoint is
        // as wide); 17 images leave a single image after the tiles on 1 and on 2 workers.
        if CPUFeatures.hasAVX512 && g.inputChannels > 128 {
            let choice = ConvolutionKernels(avx512: true, maximumDirectInputChannels: width)
            #expect(DirectConvolution.supportsImageTiles(g, kernels: choice))
            #expect(
                DirectConvolution.supportsImageTiles(DirectConvolution.adjointGeometry(g), kernels: choice)
                    == (g.outputChannels > 128))
        }
        var kernels = [
            ("im2col", ConvolutionKernels(direct: false, directWeightGradient: false)),
            ("direct AVX2", ConvolutionKernels(avx512: false, maximumDirectInputChannels: width)),
            (
                "direct AVX2, dW by im2col",
                ConvolutionKernels(avx512: false, maximumDirectInputChannels: width, directWeightGradient: false)
            ),
        ]
        if CPUFeatures.hasAVX512 {
            kernels.append(("direct AVX-512", ConvolutionKernels(avx512: true, maximumDirectInputChannels: width)))
            kernels.append(
                (
                    "direct AVX-512, dW by im2col",
                    ConvolutionKernels(avx512: true, maximumDirectInputChannels: width, directWeightGradient: false)
                ))
            kernels.append(
                (
                    "direct AVX-512, stride 2 by im2col",
                    ConvolutionKernels(avx512: true, maximumDirectInputChannels: width, directStrideTwo: false)
                ))
            kernels.append(
                (
                    "direct AVX-512, unpacked rows",
                    ConvolutionKernels(avx512: true, maximumDirectInputChannels: width, packedRows: false)
                ))
        }
        for (name, choice) in kernels {
            for workers in [1, 2] {
                let ours = Self.run(x: x, weight: weight, dy: dy, geometry: g, kernels: choice, workers: workers)
                for (what, a, b, m, terms) in [
                    ("output", ours.output, exact.output, magnitude.output, g.patchSize),
                    (
                        "input gradient", ours.inputGradient, exact.inputGradient, magnitude.inputGradient,
                        g.kernelHeight * g.kernelWidth * g.outputChannels
                    ),
                    (
                        "weight gradient", ours.weightGradient, exact.weightGradient, magnitude.weightGradient,
                        g.batch * g.outputPixels
                    ),
                ] {
                    let ratio = Self.worstRatio(a, b, m, terms: terms)
                    #expect(
                        ratio <= 1, "\(c.testDescription) \(name), \(workers) workers, \(what): \(ratio) x the bound")
                }
            }
        }
    }

    @Test(
        "An input-gradient residual is added with the bits of adding it afterwards, on every dX path",
        arguments: [
            Case(inputChannels: 16, outputChannels: 16, side: 8, batch: 3),
            Case(inputChannels: 16, outputChannels: 32, side: 9, batch: 3, stride: 2),
            Case(inputChannels: 32, outputChannels: 64, side: 4, batch: 3, kernel: 1),
            Case(inputChannels: 16, outputChannels: 32, side: 8, batch: 3, kernel: 1, stride: 2),
            Case(inputChannels: 160, outputChannels: 160, side: 3, batch: 9),
        ])
    func residualAddedToInputGradient(_ c: Case) {
        let g = c.geometry
        var generator = RandomGenerator(seed: 7)
        let (x, weight, dy) = Self.randomData(g, generator: &generator)
        let residual = (0..<x.count).map { _ in Float(generator.nextNormal()) }
        var kernels = [ConvolutionKernels(direct: false), ConvolutionKernels(avx512: false)]
        if CPUFeatures.hasAVX512 { kernels.append(ConvolutionKernels(avx512: true)) }
        for choice in kernels {
            for workers in [1, 2] {
                var weightGradient = [Float](repeating: 0, count: weight.count)
                // The input gradient of one backward pass, with `residual` added if `adding`.
                func inputGradient(adding: Bool) -> [Float] {
                    var out = [Float](repeating: .nan, count: x.count)
                    residual.withUnsafeBufferPointer { r in
                        Parallel.withWorkers(workers) {
                            ConvolutionKernels.$current.withValue(choice) {
                                Convolution.backward(
                                    inputGradient: &out, weightGradient: &weightGradient, biasGradient: nil,
                                    outputGradient: dy, input: x, weight: weight, geometry: g, workspace: Workspace(),
                                    gradientWorkspace: Workspace(), inputGradientResidual: adding ? r.baseAddress : nil)
                            }
                        }
                    }
                    return out
                }
                let (plain, added) = (inputGradient(adding: false), inputGradient(adding: true))
                let differing = zip(added, zip(plain, residual)).filter { $0.0 != $0.1.0 + $0.1.1 }.count
                #expect(
                    differing == 0, "\(c.testDescription), \(choice), \(workers) workers: \(differing) values differ")
            }
        }
    }
}
