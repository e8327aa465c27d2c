extension DirectConvolution {
    /// output = epilogue(conv(input, weight)) over a batch, split across `Parallel` workers; the
    /// epilogue (bias, residual, ReLU) runs on each image's output as soon as it is computed.
    /// input: [N, H, W, C]; weight: [k, k, C, O]; output: [N, H, W, O] (overwritten).
    static func forward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        epilogue: Epilogue, geometry g: ConvolutionGeometry, workspace: Workspace, avx512: Bool
    ) {
        Parallel.forEachShare(of: g.batch) { worker, images in
            let padded = workspace.floats(worker: worker, count: paddedImageSize(g))
            for n in images {
                pad(image: input + n * g.inputImageSize, geometry: g, into: padded)
                let offset = n * g.outputImageSize
                forwardImage(output: output + offset, padded: padded, weight: weight, geometry: g, avx512: avx512)
                epilogue.apply(output + offset, rows: g.outputPixels, offset: offset)
            }
        }
    }

    /// Images whose padded copies are stacked for one weight-gradient sgemm per tap.
    static func weightGradientGroup(_ g: ConvolutionGeometry) -> Int {
        max(1, 4096 / (paddedRows(g) * paddedWidth(g)))
    }

    /// Accumulates one worker's dW over `images` into `partial` [k, k, C, O] (overwritten).
    ///
    /// With images zero-padded to [R = H + 2p + 1, Wp = W + 2p, C] and stacked, output pixel
    /// (y, x) at grid row q = y * Wp + x reads input row q + ky * Wp + kx for tap (ky, kx). So
    /// with dY laid on the same grid (zeros off the image), dW[ky, kx] = X_shifted^T dY_grid:
    /// one sgemm per tap, no im2col.
    static func weightGradient(
        partial: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>, input: UnsafePointer<Float>,
        images: Range<Int>, geometry g: ConvolutionGeometry, scratch: UnsafeMutablePointer<Float>
    ) {
        let c = g.inputChannels
        let o = g.outputChannels
        let k = g.kernelHeight
        let wp = paddedWidth(g)
        let rows = paddedRows(g)
        let slot = rows * wp
        let group = weightGradientGroup(g)
        let slack = (k + 1) * (wp + 1) * c
        let padded = scratch
        let grid = scratch + group * slot * c + slack
        partial.update(repeating: 0, count: k * k * c * o)
        for start in stride(from: images.lowerBound, to: images.upperBound, by: group) {
            let count = min(group, images.upperBound - start)
            (padded + count * slot * c).update(repeating: 0, count: slack)
            for i in 0..<count {
                pad(image: input + (start + i) * g.inputImageSize, geometry: g, into: padded + i * slot * c)
                // dY on the grid: each row's W values, then zeros for the Wp - W columns off the
                // image, and zero rows below the image.
                let dy = outputGradient + (start + i) * g.outputImageSize
                let w = g.outputWidth
                for y in 0..<g.outputHeight {
                    let row = grid + (i * slot + y * wp) * o
                    row.update(from: dy + y * w * o, count: w * o)
                    (row + w * o).update(repeating: 0, count: (wp - w) * o)
                }
                (grid + (i * slot + g.outputHeight * wp) * o).update(
                    repeating: 0, count: (rows - g.outputHeight) * wp * o)
            }
            for ky in 0..<k {
                for kx in 0..<k {
                    BLAS.sgemm(
                        transposeA: true, transposeB: false, m: c, n: o, k: count * slot,
                        a: padded + (ky * wp + kx) * c, lda: c, b: grid, ldb: o,
                        beta: 1, c: partial + (ky * k + kx) * c * o, ldc: o)
                }
            }
        }
    }

    /// Floats of scratch `weightGradient` needs.
    static func weightGradientScratch(_ g: ConvolutionGeometry) -> Int {
        let slot = paddedRows(g) * paddedWidth(g)
        return weightGradientGroup(g) * slot * (g.inputChannels + g.outputChannels)
            + (g.kernelHeight + 1) * (paddedWidth(g) + 1) * g.inputChannels
    }
}
