import Foundation

/// Which kernels a convolution runs: the direct SIMD kernel (with 512-bit or 256-bit vectors) or
/// im2col + sgemm. Read once per convolution call, in the calling task, and passed down to the
/// workers, so a test or benchmark can choose kernels for its own work (`$current.withValue`)
/// without changing them under work running elsewhere in the process.
public struct ConvolutionKernels: Sendable, Equatable {
    /// Whether the direct kernel may run (see `DirectConvolution.supports`).
    public var direct: Bool
    /// Whether the direct kernel uses the AVX-512 micro-kernels (only where the processor has them).
    public var avx512: Bool
    /// The widest input the direct kernel takes (forward and backward, with AVX2 or AVX-512).
    public var maximumDirectInputChannels: Int
    /// The widest input the direct kernel takes in the forward pass with AVX-512, where its
    /// register blocks tile the rows (see `DirectConvolution.supportsForward`).
    public var maximumDirectForwardInputChannels: Int
    /// Whether the direct forward pass with AVX-512 also takes stride-2 convolutions (see
    /// `DirectConvolution.supportsForward`; `TRANSFERSCOPE_DIRECT_STRIDE_TWO=0` turns it off).
    public var directStrideTwo: Bool
    /// Whether weight gradients use the direct kernel where its register tiles fit (see
    /// `WeightGradient.supports`; `TRANSFERSCOPE_DIRECT_WEIGHT_GRADIENT=0` turns it off), else
    /// im2col + sgemm.
    public var directWeightGradient: Bool
    /// Whether stride-1 layers wider than `maximumDirectForwardInputChannels` run the direct kernel
    /// with AVX-512 8 images at a time (see `DirectConvolution.supportsImageTiles`;
    /// `TRANSFERSCOPE_DIRECT_IMAGE_TILES=0` turns it off), else im2col + sgemm.
    public var directImageTiles: Bool
    /// Whether the AVX-512 row blocks of 32 outputs read layers wider than 32 outputs from weights
    /// packed in blocks (see `DirectConvolution.packsRows`; `TRANSFERSCOPE_DIRECT_PACKED_ROWS=0`
    /// turns it off), else from the weight as it is (same bits either way).
    public var packedRows: Bool

    /// A choice of kernels; traps when `avx512` is asked for on a processor without AVX-512.
    public init(
        direct: Bool = true, avx512: Bool = CPUFeatures.hasAVX512, maximumDirectInputChannels: Int = 16,
        maximumDirectForwardInputChannels: Int = 128, directStrideTwo: Bool = true,
        directWeightGradient: Bool = true, directImageTiles: Bool = true, packedRows: Bool = true
    ) {
        precondition(
            !avx512 || CPUFeatures.hasAVX512, "ConvolutionKernels: AVX-512 asked for on a processor without it")
        self.direct = direct
        self.avx512 = avx512
        self.maximumDirectInputChannels = maximumDirectInputChannels
        self.maximumDirectForwardInputChannels = maximumDirectForwardInputChannels
        self.directStrideTwo = directStrideTwo
        self.directWeightGradient = directWeightGradient
        self.directImageTiles = directImageTiles
        self.packedRows = packedRows
    }

    /// The default: the direct kernel up to 16 input channels, and with AVX-512 in the forward pass
    /// up to 128 (wider stride-1 layers 8 images at a time, forward and input gradient); AVX-512
    /// where the processor has it (`TRANSFERSCOPE_NO_AVX512=1` turns it off), and, for benchmarks,
    /// `TRANSFERSCOPE_DIRECT_CONV=0`, `TRANSFERSCOPE_DIRECT_MAX_CHANNELS=N`,
    /// `TRANSFERSCOPE_DIRECT_FORWARD_MAX_CHANNELS=N`, `TRANSFERSCOPE_DIRECT_WEIGHT_GRADIENT=0` and
    /// `TRANSFERSCOPE_DIRECT_IMAGE_TILES=0` and `TRANSFERSCOPE_DIRECT_PACKED_ROWS=0`.
    public static let automatic: ConvolutionKernels = {
        let environment = ProcessInfo.processInfo.environment
        return ConvolutionKernels(
            direct: environment["TRANSFERSCOPE_DIRECT_CONV"] != "0",
            maximumDirectInputChannels: environment["TRANSFERSCOPE_DIRECT_MAX_CHANNELS"].flatMap { Int($0) } ?? 16,
            maximumDirectForwardInputChannels: environment["TRANSFERSCOPE_DIRECT_FORWARD_MAX_CHANNELS"].flatMap {
                Int($0)
            } ?? 128, directStrideTwo: environment["TRANSFERSCOPE_DIRECT_STRIDE_TWO"] != "0",
            directWeightGradient: environment["TRANSFERSCOPE_DIRECT_WEIGHT_GRADIENT"] != "0",
            directImageTiles: environment["TRANSFERSCOPE_DIRECT_IMAGE_TILES"] != "0",
            packedRows: environment["TRANSFERSCOPE_DIRECT_PACKED_ROWS"] != "0")
    }()

    /// The kernels for convolutions started in this task.
    @TaskLocal public static var current = automatic
}
