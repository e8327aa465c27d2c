import TransferscopeCore

/// Two 3x3 convolutions with a residual connection (He et al. 2016), as torchvision's
/// `BasicBlock`: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
public final class BasicBlock: ResidualBlock {
    /// Output channels per `planes`: 1, the block keeps its width.
    public static let expansion = 1
    /// 3x3 convolution, C_in -> planes, stride s, padding 1.
    public let conv1: Conv2d
    /// BatchNorm after `conv1`, followed by ReLU.
    public let bn1: BatchNorm2d
    /// 3x3 convolution, planes -> planes, stride 1, padding 1.
    public let conv2: Conv2d
    /// BatchNorm after `conv2`; its pass also adds the shortcut and applies the join's ReLU.
    public let bn2: BatchNorm2d
    /// The projection shortcut when s != 1 or C_in != planes; nil for the identity shortcut.
    public let downsample: Downsample?

    /// A block from `inputChannels` to `planes` channels that subsamples by `stride`.
    public init(inputChannels: Int, planes: Int, stride: Int, generator: inout RandomGenerator) {
        conv1 = Conv2d(
            inputChannels: inputChannels, outputChannels: planes, kernelSize: 3, stride: stride,
            padding: 1, generator: &generator)
        bn1 = BatchNorm2d(channels: planes)
        conv2 = Conv2d(inputChannels: planes, outputChannels: planes, kernelSize: 3, padding: 1, generator: &generator)
        bn2 = BatchNorm2d(channels: planes)
        downsample =
            stride != 1 || inputChannels != planes
            ? Downsample(inputChannels: inputChannels, outputChannels: planes, stride: stride, generator: &generator)
            : nil
    }

    /// Channels out: planes.
    public var outputChannels: Int { conv2.outputChannels }
    /// `conv1`, `conv2`, then the shortcut's convolution if there is one.
    public var convolutions: [Conv2d] { [conv1, conv2] + (downsample.map { [$0.conv] } ?? []) }
    /// `bn1`, `bn2`, then the shortcut's BatchNorm if there is one.
    public var batchNorms: [BatchNorm2d] { [bn1, bn2] + (downsample.map { [$0.norm] } ?? []) }

    /// `conv1.weight`, `bn1.*`, `conv2.weight`, `bn2.*`, then `downsample.0.*` and `downsample.1.*`, as torchvision.
    public var namedState: NamedState {
        var state = NamedState()
        state.append(conv1.namedState, prefix: "conv1")
        state.append(bn1.namedState, prefix: "bn1")
        state.append(conv2.namedState, prefix: "conv2")
        state.append(bn2.namedState, prefix: "bn2")
        if let downsample { state.append(downsample.namedState, prefix: "downsample") }
        return state
    }

    /// input: [N, H, W, C_in] -> [N, ceil(H/s), ceil(W/s), planes]; saves for `backward` only if `keep`.
    public func forward(_ input: Tensor, training: Bool, keepingForBackward keep: Bool) -> Tensor {
        let hidden = bn1.forward(
            conv1.forward(input, keepingForBackward: keep), training: training, relu: true,
            keepingForBackward: keep)
        let shortcut = downsample?.forward(input, training: training, keepingForBackward: keep) ?? input
        // relu(bn2(conv2(hidden)) + shortcut) in one pass; bn2 keeps the output as its ReLU mask.
        let output = bn2.forward(
            conv2.forward(hidden, keepingForBackward: keep), training: training, relu: true,
            residual: shortcut, keepingForBackward: keep)
        return output
    }

    /// Accumulates the gradients of every parameter of the block; returns d(loss)/d(input), [N, H, W, C_in].
    public func backward(_ outputGradient: Tensor) -> Tensor {
        // bn2 applies the join's ReLU mask and hands the shortcut the masked gradient.
        // The shortcut's gradient is added to conv1's input gradient while each image is in cache.
        let (dMain, dShortcut) = bn2.backwardThroughJoin(outputGradient)
        let dResidual = downsample?.backward(dShortcut) ?? dShortcut
        return conv1.backwardToInput(bn1.backward(conv2.backwardToInput(dMain)), adding: dResidual)
    }
}
