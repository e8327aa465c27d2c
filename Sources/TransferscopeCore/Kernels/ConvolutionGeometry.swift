/// The shapes of one 2-D convolution over an NHWC batch with HWIO weights.
public struct ConvolutionGeometry: Equatable, Sendable {
    /// N: images in the batch.
    public var batch: Int
    /// H: input rows, before padding.
    public var inputHeight: Int
    /// W: input columns, before padding.
    public var inputWidth: Int
    /// C_in: channels of the input, the weight's I axis.
    public var inputChannels: Int
    /// C_out: channels of the output, the weight's O axis.
    public var outputChannels: Int
    /// kH: kernel rows.
    public var kernelHeight: Int
    /// kW: kernel columns.
    public var kernelWidth: Int
    /// s: the kernel's step in pixels, the same along both axes (>= 1).
    public var stride: Int
    /// p: zero pixels added on each of the four sides of the input.
    public var padding: Int

    /// The geometry as given; traps unless the kernel fits the padded input (OH, OW >= 1).
    public init(
        batch: Int, inputHeight: Int, inputWidth: Int, inputChannels: Int, outputChannels: Int,
        kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int
    ) {
        self.batch = batch
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
        precondition(
            outputHeight > 0 && outputWidth > 0,
            "Convolution: a \(kernelHeight)x\(kernelWidth) kernel (stride \(stride), padding \(padding)) does "
                + "not fit a \(inputHeight)x\(inputWidth) input"
        )
    }

    /// floor((H + 2p - kH) / s) + 1, as PyTorch.
    public var outputHeight: Int { (inputHeight + 2 * padding - kernelHeight) / stride + 1 }
    /// floor((W + 2p - kW) / s) + 1, as PyTorch.
    public var outputWidth: Int { (inputWidth + 2 * padding - kernelWidth) / stride + 1 }
    /// The length of one im2col row: kH * kW * C_in.
    public var patchSize: Int { kernelHeight * kernelWidth * inputChannels }
    /// Output pixels per image.
    public var outputPixels: Int { outputHeight * outputWidth }
    /// Elements of one input image.
    public var inputImageSize: Int { inputHeight * inputWidth * inputChannels }
    /// Elements of one output image.
    public var outputImageSize: Int { outputPixels * outputChannels }
    /// A 1x1, stride-1, unpadded convolution is a plain matrix product on the NHWC rows.
    public var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }
    /// Multiply-adds of the forward pass.
    public var multiplyAdds: Int { batch * outputPixels * patchSize * outputChannels }
}
