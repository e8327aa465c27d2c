import TransferscopeAVX512

extension DirectConvolution {
    /// output = epilogue(conv(input, weight)) over a batch, in chunks of images the `Parallel`
    /// workers take as they come free (`forEachChunk`); the epilogue (bias, residual, ReLU) runs on
    /// each image's output as soon as it is computed (on each tile's 8 images with the image
    /// tiles). Wide layers (`supportsImageTiles`) run 8 images at a time through `forwardTile`; a
    /// short last tile of fewer than `tileImages / 2` images runs one image at a time where the row
    /// blocks tile the rows (same bits), since a tile costs 8.
    /// With `packedRows` (`packsRows`) the row blocks read the weights packed in blocks as well.
    /// input: [N, H, W, C]; weight: [k, k, C, O]; output: [N, H, W, O] (overwritten).
    static func forward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        epilogue: Epilogue, geometry g: ConvolutionGeometry, workspace: Workspace, avx512: Bool, imageTiles: Bool,
        packedRows: Bool = false, packedWeight: UnsafePointer<Float>? = nil
    ) {
        let scratchCount = imageTiles ? tileScratchSize(g) : paddedImageSize(g)
        // The weights in blocks (`packBlocks`) for the image tiles and packed rows: the caller's, or
        // packed here once before the split, after worker 0's scratch.
        let packCount = (imageTiles || packedRows) && packedWeight == nil ? g.patchSize * g.outputChannels : 0
        let shared = workspace.floats(worker: 0, count: scratchCount + packCount)
        if packCount > 0 {
            packBlocks(weight, outputChannels: g.outputChannels, rows: g.patchSize, into: shared + scratchCount)
        }
        let packed = packedWeight ?? UnsafePointer(shared + scratchCount)
        // Chunks: the tiles of 8 images cut from the first image, then the images that run one at
        // a time; taken by whichever worker is free (every image gets the same bits either way).
        var tiles = imageTiles ? (g.batch + tileImages - 1) / tileImages : 0
        // A short last tile of a few images costs as much as a full one; where the row blocks
        // tile the rows, those images run one at a time instead.
        if tiles > 0 && (g.batch - (tiles - 1) * tileImages) * 2 < tileImages && g.outputWidth % 8 == 0 {
            tiles -= 1
        }
        let tiled = min(tiles * tileImages, g.batch)
        Parallel.forEachChunk(of: tiles + g.batch - tiled) { worker, chunk in
            let scratch = workspace.floats(worker: worker, count: scratchCount)
            if chunk < tiles {
                let tile = (chunk * tileImages)..<min((chunk + 1) * tileImages, g.batch)
                forwardTile(
                    output: output, input: input, images: tile, packedWeight: packed, geometry: g, scratch: scratch)
                let offset = tile.lowerBound * g.outputImageSize
                epilogue.apply(output + offset, rows: tile.count * g.outputPixels, offset: offset)
                return
            }
            let n = tiled + chunk - tiles
            pad(image: input + n * g.inputImageSize, geometry: g, into: scratch)
            let offset = n * g.outputImageSize
            // Single images of a tiled layer (8-pixel rows: 8 x 32 blocks) read the packed blocks too.
            let fromBlocks = packedRows || imageTiles
            forwardImage(
                output: output + offset, padded: scratch, weight: fromBlocks ? packed : weight, geometry: g,
                avx512: avx512, packed: fromBlocks)
            epilogue.apply(output + offset, rows: g.outputPixels, offset: offset)
        }
    }

    /// Up to `tileImages` images (`images`) through `forwardImageTiles`: they are padded into
    /// `scratch` (the other slots of a short tile zeroed) and a short tile is computed into
    /// `scratch` and copied out. Every image, in a full or a short tile, gets the bits of
    /// `forwardImage`: the same products summed in the same order (kernel rows, then taps and
    /// channels along the row), with fused multiply-adds from zero.
    /// input: [N, H, W, C]; output: [N, OH, OW, O]; scratch: `tileScratchSize(g)` floats.
    static func forwardTile(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, images: Range<Int>,
        packedWeight: UnsafePointer<Float>, geometry g: ConvolutionGeometry, scratch: UnsafeMutablePointer<Float>
    ) {
        let size = paddedImageSize(g)
        let count = images.count
        precondition((1...tileImages).contains(count), "DirectConvolution.forwardTile: \(count) images")
        for i in 0..<tileImages {
            if i < count {
                pad(image: input + (images.lowerBound + i) * g.inputImageSize, geometry: g, into: scratch + i * size)
            } else {
                (scratch + i * size).update(repeating: 0, count: size)
            }
        }
        let first = output + images.lowerBound * g.outputImageSize
        let target = count == tileImages ? first : scratch + tileImages * size
        forwardImageTiles(output: target, padded: scratch, packedWeight: packedWeight, geometry: g)
        if count < tileImages { first.update(from: target, count: count * g.outputImageSize) }
    }

    /// Floats of `forwardTile`'s scratch: `tileImages` padded images and as many output images.
    static func tileScratchSize(_ g: ConvolutionGeometry) -> Int {
        tileImages * (paddedImageSize(g) + g.outputImageSize)
    }

    /// Images per tile of `forwardImageTiles`: the 8 pixels of an 8 x 32 AVX-512 register block.
    static let tileImages = 8

    /// Whether a stride-1 layer with more than `kernels.maximumDirectForwardInputChannels` inputs
    /// (too wide for the row blocks, which stream a block's weights once per row) runs
    /// `forwardImageTiles` with AVX-512, in preference to any other kernel: odd square kernel
    /// larger than 1x1 with padding k/2, outputs a multiple of 32.
    public static func supportsImageTiles(_ g: ConvolutionGeometry, kernels: ConvolutionKernels) -> Bool {
        kernels.direct && kernels.avx512 && kernels.directImageTiles && g.stride == 1
            && g.kernelHeight == g.kernelWidth && g.kernelHeight % 2 == 1 && g.kernelHeight > 1
            && g.padding == g.kernelHeight / 2 && g.outputChannels % 32 == 0
            && g.inputChannels > kernels.maximumDirectForwardInputChannels
    }

    /// `tileImages` images at once: each register block holds 32 output channels of one pixel
    /// position in each of the 8 images (its pixel stride is a padded image), so any image side
    /// tiles exactly, and the weights of a block of 32 outputs (k * k * C * 32 floats: 295 KB for
    /// 256 inputs, 590 KB for 512) stay in L2 while every position of the 8 images passes over them.
    /// Row-wise blocks of one image would stream all the weights for each 8-pixel row instead.
    /// padded: 8 padded images one after another ([H + 2p + 1, W + 2p, C] each); packedWeight: the
    /// weight [k, k, C, O] in `packBlocks`'s layout; output: the 8 images' [H, W, O] one after
    /// another (overwritten).
    static func forwardImageTiles(
        output: UnsafeMutablePointer<Float>, padded: UnsafePointer<Float>, packedWeight: UnsafePointer<Float>,
        geometry g: ConvolutionGeometry
    ) {
        let c = g.inputChannels
        let o = g.outputChannels
        let k = g.kernelHeight
        let wp = paddedWidth(g)
        let block = g.patchSize * 32
        for ob in stride(from: 0, to: o, by: 32) {
            for y in 0..<g.outputHeight {
                for x in 0..<g.outputWidth {
                    convolutionBlock8x32AVX512(
                        output: output + (y * g.outputWidth + x) * o + ob, outputStride: g.outputImageSize,
                        padded: padded + (y * wp + x) * c, rowStride: wp * c, pixelStride: paddedImageSize(g),
                        weight: packedWeight + (ob / 32) * block, weightStride: 32, rowLength: k * c, rows: k)
                }
            }
        }
    }

    /// weight [k, k, C, O] as O / 32 blocks of [k * k * C, 32], each block contiguous, as
    /// `forwardImageTiles` reads them: the rows of the unpacked weight are O floats apart, so a
    /// block's 128-byte pieces fell into a few L2 sets (1 KB apart for 256 outputs) and evicted each
    /// other. A caller that runs the same weights many times (the folded inference model) packs them
    /// once and passes them to `Convolution.forward`. packed: as many floats as the weight.
    public static func packBlocks(
        _ weight: UnsafePointer<Float>, outputChannels o: Int, rows: Int, into packed: UnsafeMutablePointer<Float>
    ) {
        precondition(o % 32 == 0, "DirectConvolution.packBlocks: \(o) output channels, not a multiple of 32")
        // Blocks are independent: the workers share them out (a serial copy of the 9.4 MB of a
        // 512-channel layer left the other worker waiting).
        Parallel.forEachShare(of: o / 32) { _, blocks in
            for b in blocks {
                let block = packed + b * rows * 32
                for r in 0..<rows { (block + r * 32).update(from: weight + r * o + b * 32, count: 32) }
            }
        }
    }

    /// The adjoint weight (`adjointWeight`) straight into `packBlocks`'s layout, for the input
    /// gradient by image tiles or packed rows: block b, row (tap' * O + o), lane j holds
    /// w[k-1-ky', k-1-kx', 32 b + j, o]. One pass instead of transposing and then packing.
    /// weight: [k, k, C, O]; packed: as many floats, the adjoint's C / 32 blocks of [k * k * O, 32].
    static func packAdjointBlocks(
        _ weight: UnsafePointer<Float>, geometry g: ConvolutionGeometry, into packed: UnsafeMutablePointer<Float>
    ) {
        let (c, o, k) = (g.inputChannels, g.outputChannels, g.kernelHeight)
        precondition(c % 32 == 0, "DirectConvolution.packAdjointBlocks: \(c) input channels, not a multiple of 32")
        let taps = k * k
        Parallel.forEachShare(of: c / 32) { _, blocks in
            for b in blocks {
                let block = packed + b * taps * o * 32
                for tap in 0..<taps {
                    // Adjoint tap (ky', kx') reads the original tap (k-1-ky', k-1-kx'): index taps-1-tap.
                    let source = weight + (taps - 1 - tap) * c * o + b * 32 * o
                    let target = block + tap * o * 32
                    for j in 0..<32 {
                        let row = source + j * o
                        for oi in 0..<o { target[oi * 32 + j] = row[oi] }
                    }
                }
            }
        }
    }
}
