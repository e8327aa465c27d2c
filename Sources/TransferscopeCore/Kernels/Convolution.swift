/// 2-D convolution on NHWC activations with HWIO weights, as im2col + sgemm, split over the
/// batch across `Parallel` workers.
///
/// Seen as matrices, the weights are W: [kH*kW*C_in, C_out], an image's patches are
/// P: [OH*OW, kH*kW*C_in] and its output is Y = P W (+ bias), already NHWC.
public enum Convolution {
    /// Rows of the patch matrix built at once (whole images, at least one). Each sgemm call
    /// packs the whole weight matrix, so fewer rows than this make packing dominate on wide
    /// layers over small images (ResNet-18's layer4: 16 pixels, 4608 x 512 weights); more rows
    /// push the patch matrix out of L2 on narrow ones. Measured on resnet20 training: 256-512
    /// rows ~215-230 img/s, 2048 rows ~190-200 img/s.
    static let targetPatchRows = 512

    /// Images per im2col group for `geometry`.
    static func groupSize(_ g: ConvolutionGeometry) -> Int {
        max(1, (targetPatchRows + g.outputPixels - 1) / max(g.outputPixels, 1))
    }

    /// Images per chunk of the im2col and 1x1 passes, which workers take as they come free: a
    /// group (`groupSize`), but no more than an eighth of the batch, so that small images still
    /// give enough chunks to balance (a 7x7 group of 11 images cut a batch of 32 into 11 + 11 + 10).
    /// Depends on the geometry and the batch only, never on the worker count.
    static func chunkImages(_ g: ConvolutionGeometry) -> Int {
        max(1, min(groupSize(g), (g.batch + 7) / 8))
    }

    /// Writes the patches of one image: columns[oy * OW + ox, (ky * kW + kx) * C + c] =
    /// image[oy*s - p + ky, ox*s - p + kx, c], zero outside the image.
    /// image: [H, W, C]; columns: [OH*OW, kH*kW*C].
    public static func im2col(
        image: UnsafePointer<Float>, geometry g: ConvolutionGeometry, columns: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels
        var row = columns
        for oy in 0..<g.outputHeight {
            for ox in 0..<g.outputWidth {
                var out = row
                for ky in 0..<g.kernelHeight {
                    let iy = oy * g.stride - g.padding + ky
                    for kx in 0..<g.kernelWidth {
                        let ix = ox * g.stride - g.padding + kx
                        if iy >= 0 && iy < g.inputHeight && ix >= 0 && ix < g.inputWidth {
                            out.update(from: image + (iy * g.inputWidth + ix) * c, count: c)
                        } else {
                            out.update(repeating: 0, count: c)
                        }
                        out += c
                    }
                }
                row += g.patchSize
            }
        }
    }

    /// The patches of images `images` of the batch `input`, one image's rows after another's:
    /// columns: [images.count * OH*OW, kH*kW*C].
    static func im2col(
        images: Range<Int>, of input: UnsafePointer<Float>, geometry g: ConvolutionGeometry,
        columns: UnsafeMutablePointer<Float>
    ) {
        for (i, n) in images.enumerated() {
            im2col(
                image: input + n * g.inputImageSize, geometry: g, columns: columns + i * g.outputPixels * g.patchSize)
        }
    }

    /// The adjoint of `im2col`: adds each patch value back onto the pixel it came from.
    /// columns: [OH*OW, kH*kW*C]; image: [H, W, C] (accumulated into).
    public static func col2imAdd(
        columns: UnsafePointer<Float>, geometry g: ConvolutionGeometry, image: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels
        var row = columns
        for oy in 0..<g.outputHeight {
            for ox in 0..<g.outputWidth {
                var patch = row
                for ky in 0..<g.kernelHeight {
                    let iy = oy * g.stride - g.padding + ky
                    for kx in 0..<g.kernelWidth {
                        let ix = ox * g.stride - g.padding + kx
                        if iy >= 0 && iy < g.inputHeight && ix >= 0 && ix < g.inputWidth {
                            let pixel = image + (iy * g.inputWidth + ix) * c
                            for i in 0..<c { pixel[i] += patch[i] }
                        }
                        patch += c
                    }
                }
                row += g.patchSize
            }
        }
    }

    /// output = conv(input, weight) + bias (+ residual), then max(0, .) if `relu`, with
    /// `ConvolutionKernels.current`'s kernels. The bias, residual and ReLU are applied to each
    /// piece of the output while it is still in cache (a folded BatchNorm's shift and a residual
    /// block's join cost no pass of their own).
    /// input: [N, H, W, C_in]; weight: [kH, kW, C_in, C_out]; bias: [C_out] or nil;
    /// residual: [N, OH, OW, C_out] or nil; output: [N, OH, OW, C_out] (overwritten).
    /// packedWeight: the weight in `DirectConvolution.packBlocks`'s layout (used, and not packed
    /// again, where the direct kernel runs 8 images at a time or reads packed rows), or nil.
    public static func forward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>? = nil, relu: Bool = false,
        geometry g: ConvolutionGeometry, workspace: Workspace, packedWeight: UnsafePointer<Float>? = nil
    ) {
        let kernels = ConvolutionKernels.current
        let epilogue = Epilogue(bias: bias, residual: residual, relu: relu, channels: g.outputChannels)
        let imageTiles = DirectConvolution.supportsImageTiles(g, kernels: kernels)
        if imageTiles || DirectConvolution.supportsForward(g, kernels: kernels) {
            DirectConvolution.forward(
                output: output, input: input, weight: weight, epilogue: epilogue, geometry: g,
                workspace: workspace, avx512: kernels.avx512, imageTiles: imageTiles,
                packedRows: !imageTiles && DirectConvolution.packsRows(g, kernels: kernels), packedWeight: packedWeight)
            return
        }
        let k = g.patchSize
        let o = g.outputChannels
        // Chunks of images cut from the first image, taken by whichever worker is free: each
        // chunk's sgemm is the same call on any worker, so the bits do not depend on the schedule.
        let group = chunkImages(g)
        Parallel.forEachChunk(of: (g.batch + group - 1) / group) { worker, chunk in
            let start = chunk * group
            let count = min(group, g.batch - start)
            let offset = start * g.outputImageSize
            if g.isPointwise {
                BLAS.sgemm(
                    transposeA: false, transposeB: false, m: count * g.outputPixels, n: o, k: k,
                    a: input + start * g.inputImageSize, lda: k, b: weight, ldb: o,
                    beta: 0, c: output + offset, ldc: o)
            } else {
                let columns = workspace.floats(worker: worker, count: group * g.outputPixels * k)
                im2col(images: start..<(start + count), of: input, geometry: g, columns: columns)
                BLAS.sgemm(
                    transposeA: false, transposeB: false, m: count * g.outputPixels, n: o, k: k,
                    a: columns, lda: k, b: weight, ldb: o,
                    beta: 0, c: output + offset, ldc: o)
            }
            epilogue.apply(output + offset, rows: count * g.outputPixels, offset: offset)
        }
    }

    /// The gradients of `forward`: weightGradient and biasGradient are accumulated into (+=),
    /// inputGradient (if not nil) is overwritten, with `inputGradientResidual` (same shape) added to
    /// each image's piece while it is in cache (a residual block's shortcut gradient, with the bits
    /// of adding it afterwards).
    /// outputGradient: [N, OH, OW, C_out]; input: [N, H, W, C_in]; weight: [kH, kW, C_in, C_out].
    ///
    /// Each worker computes its fixed share of the images' dW into its own partial buffer (summed
    /// below in worker order), by `WeightGradient`'s direct kernel where its tiles fit, else by
    /// im2col + sgemm; then dX, in chunks of images it takes as they come free, by the direct
    /// forward kernel on the adjoint weights for stride-1 "same" convolutions it takes, else by
    /// sgemm (dY W^T) and col2im. A worker may write one image's dX while another still reads
    /// other images for dW: inputGradient must not alias outputGradient or input.
    public static func backward(
        inputGradient: UnsafeMutablePointer<Float>?, weightGradient: UnsafeMutablePointer<Float>,
        biasGradient: UnsafeMutablePointer<Float>?, outputGradient: UnsafePointer<Float>,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, geometry g: ConvolutionGeometry,
        workspace: Workspace, gradientWorkspace: Workspace, inputGradientResidual: UnsafePointer<Float>? = nil
    ) {
        precondition(
            inputGradientResidual == nil || inputGradient != nil,
            "Convolution.backward: a residual for the input gradient needs the input gradient")
        precondition(
            workspace !== gradientWorkspace,
            "Convolution.backward: the scratch and gradient workspaces must be two objects (worker 0's scratch "
                + "would move the adjoint weights kept after its partial gradient)")
        let k = g.patchSize
        let o = g.outputChannels
        let workers = Parallel.activeWorkers(for: g.batch)
        let kernels = ConvolutionKernels.current
        let addResidual = Epilogue(bias: nil, residual: inputGradientResidual, relu: false, channels: g.inputChannels)
        let adjoint = DirectConvolution.adjointGeometry(g)
        let directWeight = WeightGradient.supports(g, kernels: kernels)
        let adjointTiles =
            inputGradient != nil && g.stride == 1 && DirectConvolution.supportsImageTiles(adjoint, kernels: kernels)
        let directInput =
            adjointTiles
            || (inputGradient != nil && g.stride == 1 && DirectConvolution.supportsForward(adjoint, kernels: kernels))
        let packedRows = directInput && !adjointTiles && DirectConvolution.packsRows(adjoint, kernels: kernels)
        let columnCount = directWeight && (inputGradient == nil || directInput) ? 0 : groupSize(g) * g.outputPixels * k
        let paddedCount =
            adjointTiles
            ? DirectConvolution.tileScratchSize(adjoint) : directInput ? DirectConvolution.paddedImageSize(adjoint) : 0
        // The adjoint weights (in blocks for the image tiles and packed rows) live after worker 0's
        // partial gradient, computed once before the split.
        let shared = gradientWorkspace.floats(worker: 0, count: k * o + (directInput ? k * o : 0))
        if adjointTiles || packedRows {
            DirectConvolution.packAdjointBlocks(weight, geometry: g, into: shared + k * o)
        } else if directInput {
            DirectConvolution.adjointWeight(weight, geometry: g, into: shared + k * o)
        }
        let adjointWeight = UnsafePointer(shared + k * o)
        // dX in chunks of images cut from the first image (a tile of 8, one image, or an im2col
        // group), which each worker takes as it comes free after its share of dW: a worker
        // slowed down for a while takes fewer, and each chunk's bits do not depend on who runs it.
        let chunk = adjointTiles ? DirectConvolution.tileImages : directInput ? 1 : chunkImages(g)
        let chunks = Parallel.ChunkQueue(
            count: inputGradient == nil ? 0 : (g.batch + chunk - 1) / chunk, workers: workers)
        Parallel.forEachShare(of: g.batch) { worker, images in
            let partial = worker == 0 ? shared : gradientWorkspace.floats(worker: worker, count: k * o)
            let scratch = workspace.floats(worker: worker, count: columnCount + paddedCount)
            if directWeight {
                WeightGradient.compute(
                    partial: partial, outputGradient: outputGradient, input: input, images: images, geometry: g,
                    avx512: kernels.avx512)
            } else {
                im2colWeightGradient(
                    partial: partial, outputGradient: outputGradient, input: input, images: images, geometry: g,
                    columns: scratch)
            }
            guard let inputGradient else { return }
            while let next = chunks.take(worker: worker) {
                let images = (next * chunk)..<min((next + 1) * chunk, g.batch)
                if adjointTiles {
                    DirectConvolution.forwardTile(
                        output: inputGradient, input: outputGradient, images: images, packedWeight: adjointWeight,
                        geometry: adjoint, scratch: scratch + columnCount)
                } else if directInput {
                    let n = images.lowerBound
                    DirectConvolution.pad(
                        image: outputGradient + n * g.outputImageSize, geometry: adjoint, into: scratch + columnCount)
                    DirectConvolution.forwardImage(
                        output: inputGradient + n * g.inputImageSize, padded: scratch + columnCount,
                        weight: adjointWeight, geometry: adjoint, avx512: kernels.avx512, packed: packedRows)
                } else {
                    im2colInputGradient(
                        inputGradient: inputGradient, outputGradient: outputGradient, weight: weight, images: images,
                        geometry: g, columns: scratch, epilogue: addResidual)
                    continue
                }
                addResidual.apply(
                    inputGradient + images.lowerBound * g.inputImageSize,
                    rows: images.count * g.inputHeight * g.inputWidth, offset: images.lowerBound * g.inputImageSize)
            }
        }
        for worker in 0..<workers {
            let partial = gradientWorkspace.floats(worker: worker, count: k * o)
            for i in 0..<(k * o) { weightGradient[i] += partial[i] }
        }
        if let biasGradient {
            var row = outputGradient
            for _ in 0..<(g.batch * g.outputPixels) {
                for j in 0..<o { biasGradient[j] += row[j] }
                row += o
            }
        }
    }

    /// dW over `images` into `partial` [kH * kW * C_in, C_out] (overwritten) as P^T dY, with the
    /// patches P built by im2col a group of images at a time (pointwise layers need none).
    /// columns: scratch of groupSize(g) * OH*OW * kH*kW*C_in floats (unused for pointwise layers).
    static func im2colWeightGradient(
        partial: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>,
        images: Range<Int>, geometry g: ConvolutionGeometry, columns: UnsafeMutablePointer<Float>
    ) {
        let k = g.patchSize
        let o = g.outputChannels
        if g.isPointwise {
            BLAS.sgemm(
                transposeA: true, transposeB: false, m: k, n: o, k: images.count * g.outputPixels,
                a: input + images.lowerBound * g.inputImageSize, lda: k,
                b: outputGradient + images.lowerBound * g.outputImageSize, ldb: o, beta: 0, c: partial, ldc: o)
            return
        }
        let group = groupSize(g)
        var first = true
        for start in stride(from: images.lowerBound, to: images.upperBound, by: group) {
            let count = min(group, images.upperBound - start)
            im2col(images: start..<(start + count), of: input, geometry: g, columns: columns)
            BLAS.sgemm(
                transposeA: true, transposeB: false, m: k, n: o, k: count * g.outputPixels,
                a: columns, lda: k, b: outputGradient + start * g.outputImageSize, ldb: o, beta: first ? 0 : 1,
                c: partial, ldc: o)
            first = false
        }
        if first { partial.update(repeating: 0, count: k * o) }
    }

    /// dX of `images` (overwritten) as dY W^T, scattered back onto the pixels by col2im a group of
    /// images at a time (pointwise layers need no scatter), then `epilogue` on each group's pixels.
    /// columns: scratch of groupSize(g) * OH*OW * kH*kW*C_in floats (unused for pointwise layers).
    static func im2colInputGradient(
        inputGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, images: Range<Int>, geometry g: ConvolutionGeometry,
        columns: UnsafeMutablePointer<Float>, epilogue: Epilogue
    ) {
        let k = g.patchSize
        let o = g.outputChannels
        let pixels = g.inputHeight * g.inputWidth
        if g.isPointwise {
            let start = images.lowerBound * g.inputImageSize
            BLAS.sgemm(
                transposeA: false, transposeB: true, m: images.count * g.outputPixels, n: k, k: o,
                a: outputGradient + images.lowerBound * g.outputImageSize, lda: o, b: weight, ldb: o,
                beta: 0, c: inputGradient + start, ldc: k)
            epilogue.apply(inputGradient + start, rows: images.count * pixels, offset: start)
            return
        }
        (inputGradient + images.lowerBound * g.inputImageSize).update(
            repeating: 0, count: images.count * g.inputImageSize)
        let group = groupSize(g)
        for start in stride(from: images.lowerBound, to: images.upperBound, by: group) {
            let count = min(group, images.upperBound - start)
            BLAS.sgemm(
                transposeA: false, transposeB: true, m: count * g.outputPixels, n: k, k: o,
                a: outputGradient + start * g.outputImageSize, lda: o, b: weight, ldb: o, beta: 0, c: columns, ldc: k)
            for i in 0..<count {
                col2imAdd(
                    columns: columns + i * g.outputPixels * k, geometry: g,
                    image: inputGradient + (start + i) * g.inputImageSize)
            }
            epilogue.apply(
                inputGradient + start * g.inputImageSize, rows: count * pixels, offset: start * g.inputImageSize)
        }
    }
}
