import TransferscopeCore

/// A convolution with the BatchNorm after it folded in (see `InferenceModel`).
struct FoldedConvolution {
    /// [k, k, C_in, C_out], output channel o scaled by gamma_o / sqrt(var_o + eps).
    let weight: Tensor
    /// [C_out]: beta - mean * gamma / sqrt(var + eps) (plus the convolution's own bias, scaled).
    let bias: Tensor
    /// The weight in `DirectConvolution.packBlocks`'s layout, for layers the direct kernel may run
    /// from packed blocks with the kernels chosen when folding
    /// (`DirectConvolution.mayReadPackedBlocks`), packed once here rather than on every chunk; nil
    /// for the others.
    let packedWeight: Tensor?
    let kernelSize: Int
    let stride: Int
    let padding: Int
    let inputChannels: Int
    let outputChannels: Int

    /// Folds `norm`'s evaluation-mode affine map into `conv`.
    init(_ conv: Conv2d, _ norm: BatchNorm2d) {
        let o = conv.outputChannels
        let (gamma, beta) = (norm.weight.value.unsafePointer, norm.bias.value.unsafePointer)
        let (mean, variance) = (norm.runningMean.value.unsafePointer, norm.runningVariance.value.unsafePointer)
        var scale = [Float](repeating: 0, count: o)
        var shift = Tensor(uninitializedShape: [o])
        let t = shift.unsafeMutablePointer
        for j in 0..<o {
            // The same float operations as BatchNorm2d's evaluation pass, so the constants agree.
            let invstd = 1 / (variance[j] + norm.epsilon).squareRoot()
            scale[j] = gamma[j] * invstd
            t[j] = beta[j] - mean[j] * scale[j] + (conv.bias.map { $0.value.unsafePointer[j] * scale[j] } ?? 0)
        }
        var folded = Tensor(uninitializedShape: conv.weight.value.shape)
        let (source, target) = (conv.weight.value.unsafePointer, folded.unsafeMutablePointer)
        for row in 0..<(folded.count / o) {
            for j in 0..<o { target[row * o + j] = source[row * o + j] * scale[j] }
        }
        weight = folded
        bias = shift
        let shape = ConvolutionGeometry(
            batch: 1, inputHeight: conv.kernelSize, inputWidth: conv.kernelSize, inputChannels: conv.inputChannels,
            outputChannels: o, kernelHeight: conv.kernelSize, kernelWidth: conv.kernelSize, stride: conv.stride,
            padding: conv.padding)
        if DirectConvolution.mayReadPackedBlocks(shape, kernels: ConvolutionKernels.current) {
            var packed = Tensor(uninitializedShape: folded.shape)
            DirectConvolution.packBlocks(
                folded.unsafePointer, outputChannels: o, rows: folded.count / o, into: packed.unsafeMutablePointer)
            packedWeight = packed
        } else {
            packedWeight = nil
        }
        kernelSize = conv.kernelSize
        stride = conv.stride
        padding = conv.padding
        inputChannels = conv.inputChannels
        outputChannels = o
    }

    /// The output's height (or width) for an input of `side`.
    func outputSide(_ side: Int) -> Int { (side + 2 * padding - kernelSize) / stride + 1 }

    /// output = [relu](conv(input) + bias (+ residual)) for `batch` images of height x width;
    /// returns the output's height and width.
    func run(
        input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, output: UnsafeMutablePointer<Float>,
        residual: UnsafePointer<Float>?, relu: Bool, workspace: Workspace
    ) -> (Int, Int) {
        let g = ConvolutionGeometry(
            batch: batch, inputHeight: height, inputWidth: width, inputChannels: inputChannels,
            outputChannels: outputChannels, kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride,
            padding: padding)
        Convolution.forward(
            output: output, input: input, weight: weight.unsafePointer, bias: bias.unsafePointer, residual: residual,
            relu: relu, geometry: g, workspace: workspace, packedWeight: packedWeight?.unsafePointer)
        return (g.outputHeight, g.outputWidth)
    }
}

/// A residual block (BasicBlock or Bottleneck) with its BatchNorms folded in.
struct FoldedBlock {
    /// `layerS.B`.
    let name: String
    /// `layerS`.
    let stageName: String
    /// Whether this is the last block of its stage (its output is also the stage's).
    var endsStage = false
    /// The main path: two convolutions (BasicBlock) or three (Bottleneck); all but the last with ReLU.
    let main: [FoldedConvolution]
    /// The projection shortcut, or nil for the identity.
    let downsample: FoldedConvolution?

    init(name: String, _ block: any ResidualBlock) {
        self.name = name
        let parts = name.split(separator: ".")
        stageName = String(parts[0])
        let convolutions = block.convolutions
        let norms = block.batchNorms
        let mainCount = convolutions.count - (block.downsample == nil ? 0 : 1)
        main = (0..<mainCount).map { FoldedConvolution(convolutions[$0], norms[$0]) }
        downsample = block.downsample.map { FoldedConvolution($0.conv, $0.norm) }
    }

    var outputChannels: Int { main[main.count - 1].outputChannels }

    /// The output's height (or width) for an input of `side` (the stride sits on one convolution).
    func outputSide(_ side: Int) -> Int { main.reduce(side) { $1.outputSide($0) } }

    /// output = relu(main(input) + shortcut(input)), each convolution's BatchNorm, ReLU and the
    /// join in the convolution's pass; returns the output's height and width.
    func run(
        input: UnsafePointer<Float>, batch: Int, height: Int, width: Int, output: UnsafeMutablePointer<Float>,
        hidden: UnsafeMutablePointer<Float>, hidden2: UnsafeMutablePointer<Float>,
        shortcut: UnsafeMutablePointer<Float>, workspace: Workspace
    ) -> (Int, Int) {
        var residual = input
        if let downsample {
            _ = downsample.run(
                input: input, batch: batch, height: height, width: width, output: shortcut, residual: nil,
                relu: false, workspace: workspace)
            residual = UnsafePointer(shortcut)
        }
        var (h, w) = (height, width)
        var source = input
        let scratch = [hidden, hidden2]
        for (index, conv) in main.enumerated() {
            let last = index == main.count - 1
            let target = last ? output : scratch[index % 2]
            (h, w) = conv.run(
                input: source, batch: batch, height: h, width: w, output: target,
                residual: last ? residual : nil, relu: true, workspace: workspace)
            source = UnsafePointer(target)
        }
        return (h, w)
    }
}

extension MaxPool2d {
    /// The output's height (or width) for an input of `side`.
    func outputSide(_ side: Int) -> Int { (side + 2 * padding - kernelSize) / stride + 1 }
}
