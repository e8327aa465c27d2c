import Testing

@testable import TransferscopeCore

/// Paths that must give the same bits as one another, not only agree with float64: the image
/// tiles and the one-image kernel, row blocks reading packed and unpacked weights, and every
/// schedule of the chunks the workers take (`Parallel.forEachChunk`) on any worker count.
extension DirectConvolutionTests {
    /// The positions where `a` and `b` (float32 values held as Double) differ in their bits.
    static func differing(_ a: [Double], _ b: [Double]) -> Int {
        zip(a, b).filter { Float($0).bitPattern != Float($1).bitPattern }.count
    }

    @Test(
        "The image tiles give each output the bits of the one-image kernel",
        .enabled(if: CPUFeatures.hasAVX512, "the image tiles are AVX-512 only"),
        arguments: [
            Case(inputChannels: 160, outputChannels: 64, side: 3, batch: 11),
            Case(inputChannels: 192, outputChannels: 32, side: 5, batch: 9, kernel: 5),
            // 8-pixel rows: the short last tile (2 images) runs one image at a time.
            Case(inputChannels: 160, outputChannels: 32, side: 8, batch: 10),
        ])
    func imageTilesMatchOneImage(_ c: Case) {
        let g = c.geometry
        var generator = RandomGenerator(seed: 11)
        let (x, weight, _) = Self.randomData(g, generator: &generator)
        let bias = (0..<g.outputChannels).map { _ in Float(generator.nextNormal()) }
        let tiles = ConvolutionKernels(avx512: true)
        let oneImage = ConvolutionKernels(
            avx512: true, maximumDirectInputChannels: 1024, maximumDirectForwardInputChannels: 1024,
            directImageTiles: false, packedRows: false)
        #expect(DirectConvolution.supportsImageTiles(g, kernels: tiles))
        #expect(!DirectConvolution.supportsImageTiles(g, kernels: oneImage))
        #expect(DirectConvolution.supportsForward(g, kernels: oneImage))
        func forward(_ kernels: ConvolutionKernels, workers: Int, packed: Bool) -> [Float] {
            var out = [Float](repeating: .nan, count: g.batch * g.outputImageSize)
            var blocks = [Float](repeating: .nan, count: weight.count)
            DirectConvolution.packBlocks(weight, outputChannels: g.outputChannels, rows: g.patchSize, into: &blocks)
            Parallel.withWorkers(workers) {
                ConvolutionKernels.$current.withValue(kernels) {
                    Convolution.forward(
                        output: &out, input: x, weight: weight, bias: bias, relu: true, geometry: g,
                        workspace: Workspace(), packedWeight: packed ? blocks : nil)
                }
            }
            return out
        }
        let reference = forward(oneImage, workers: 1, packed: false)
        #expect(!reference.contains { $0.isNaN })
        for workers in [1, 2] {
            for packed in [false, true] {
                let ours = forward(tiles, workers: workers, packed: packed)
                let differing = zip(ours, reference).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(differing == 0, "\(c.testDescription), \(workers) workers, packed \(packed)")
            }
        }
    }

    @Test(
        "Row blocks read from packed weights give the bits of the unpacked weights, forward and dX",
        .enabled(if: CPUFeatures.hasAVX512, "the packed row blocks are AVX-512 only"),
        arguments: [
            Case(inputChannels: 64, outputChannels: 64, side: 8, batch: 5),
            Case(inputChannels: 32, outputChannels: 128, side: 16, batch: 3),
            Case(inputChannels: 96, outputChannels: 64, side: 6, batch: 3, kernel: 5),
            Case(inputChannels: 32, outputChannels: 64, side: 16, batch: 3, stride: 2),
        ])
    func packedRowsMatchUnpacked(_ c: Case) {
        let g = c.geometry
        var generator = RandomGenerator(seed: 13)
        let (x, weight, dy) = Self.randomData(g, generator: &generator)
        let width = max(g.inputChannels, g.outputChannels)
        let packed = ConvolutionKernels(avx512: true, maximumDirectInputChannels: width, directStrideTwo: true)
        var unpacked = packed
        unpacked.packedRows = false
        #expect(DirectConvolution.supportsForward(g, kernels: packed))
        #expect(DirectConvolution.packsRows(g, kernels: packed))
        #expect(!DirectConvolution.packsRows(g, kernels: unpacked))
        // Stride-2 layers take the input gradient by sgemm; the others read packed adjoint rows.
        let adjoint = DirectConvolution.adjointGeometry(g)
        #expect(DirectConvolution.packsRows(adjoint, kernels: packed) == (g.inputChannels > 32 && g.stride == 1))
        let reference = Self.run(x: x, weight: weight, dy: dy, geometry: g, kernels: unpacked, workers: 1)
        #expect(!reference.output.contains { $0.isNaN } && !reference.inputGradient.contains { $0.isNaN })
        for workers in [1, 2] {
            let ours = Self.run(x: x, weight: weight, dy: dy, geometry: g, kernels: packed, workers: workers)
            #expect(
                Self.differing(ours.output, reference.output) == 0, "\(c.testDescription), \(workers) workers: output")
            #expect(
                Self.differing(ours.inputGradient, reference.inputGradient) == 0,
                "\(c.testDescription), \(workers) workers: input gradient")
            // The caller's packed weights (the folded model's) give the same bits as packing here,
            // and are what the row blocks read: the unpacked weight passed beside them is all NaN.
            var blocks = [Float](repeating: .nan, count: weight.count)
            DirectConvolution.packBlocks(weight, outputChannels: g.outputChannels, rows: g.patchSize, into: &blocks)
            let poisoned = [Float](repeating: .nan, count: weight.count)
            var output = [Float](repeating: .nan, count: g.batch * g.outputImageSize)
            Parallel.withWorkers(workers) {
                ConvolutionKernels.$current.withValue(packed) {
                    Convolution.forward(
                        output: &output, input: x, weight: poisoned, bias: nil, geometry: g, workspace: Workspace(),
                        packedWeight: blocks)
                }
            }
            #expect(
                Self.differing(output.map(Double.init), reference.output) == 0,
                "\(c.testDescription), \(workers) workers: output from the caller's packed weights")
        }
    }

    @Test(
        "Output and input gradient have the same bits under every schedule of the chunks and any worker count",
        arguments: [
            Case(inputChannels: 16, outputChannels: 16, side: 8, batch: 7),
            Case(inputChannels: 32, outputChannels: 64, side: 8, batch: 5, stride: 2),
            Case(inputChannels: 32, outputChannels: 64, side: 8, batch: 5, kernel: 1, stride: 2),
            Case(inputChannels: 160, outputChannels: 160, side: 3, batch: 19),
            // im2col and 1x1 passes of one image per chunk (5 chunks), and (with AVX-512) a tile of 8
            // images and two single images on 8-pixel rows.
            Case(inputChannels: 32, outputChannels: 64, side: 32, batch: 5, stride: 2),
            Case(inputChannels: 32, outputChannels: 64, side: 32, batch: 5, kernel: 1),
            Case(inputChannels: 160, outputChannels: 160, side: 8, batch: 10),
        ])
    func scheduleDoesNotChangeBits(_ c: Case) {
        let g = c.geometry
        var generator = RandomGenerator(seed: 17)
        let (x, weight, dy) = Self.randomData(g, generator: &generator)
        let kernels = ConvolutionKernels(maximumDirectInputChannels: max(g.inputChannels, g.outputChannels))
        let reference = Self.run(x: x, weight: weight, dy: dy, geometry: g, kernels: kernels, workers: 1)
        for workers in [2, 3] {
            for schedule in [Parallel.ChunkSchedule.firstFree, .firstFreeReversed, .fixedShares] {
                let ours = Parallel.$chunkSchedule.withValue(schedule) {
                    Self.run(x: x, weight: weight, dy: dy, geometry: g, kernels: kernels, workers: workers)
                }
                let label = "\(c.testDescription), \(workers) workers, \(schedule)"
                #expect(Self.differing(ours.output, reference.output) == 0, "\(label): output")
                #expect(Self.differing(ours.inputGradient, reference.inputGradient) == 0, "\(label): input gradient")
            }
        }
    }
}
