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
}
