import TransferscopeCore

/// 1x1 -> 3x3 (stride s) -> 1x1 (x4 channels) convolutions with a residual connection, as
/// torchvision's `Bottleneck` (ResNet v1.5: the stride sits on the 3x3 convolution).
public final class Bottleneck: ResidualBlock {
    /// Output channels per `planes`: the last 1x1 convolution widens the block by 4.
    public static let expansion = 4
    /// 1x1 convolution, C_in -> planes.
    public let conv1: Conv2d
    /// BatchNorm after `conv1`, followed by ReLU.
    public let bn1: BatchNorm2d
    /// 3x3 convolution, planes -> planes, stride s, padding 1: the block's only stride (ResNet v1.5).
    public let conv2: Conv2d
    /// BatchNorm after `conv2`, followed by ReLU.
    public let bn2: BatchNorm2d
    /// 1x1 convolution, planes -> 4 * planes.
    public let conv3: Conv2d
    /// BatchNorm after `conv3`; its pass also adds the shortcut and applies the join's ReLU.
    public let bn3: BatchNorm2d
    /// The projection shortcut when s != 1 or C_in != 4 * planes; nil for the identity shortcut.
    public let downsample: Downsample?

    /// A block from `inputChannels` to 4 * `planes` channels that subsamples by `stride`.
    public init(inputChannels: Int, planes: Int, stride: Int, generator: inout RandomGenerator) {
        let width = planes * Bottleneck.expansion
        conv1 = Conv2d(inputChannels: inputChannels, outputChannels: planes, kernelSize: 1, generator: &generator)
        bn1 = BatchNorm2d(channels: planes)
        conv2 = Conv2d(
            inputChannels: planes, outputChannels: planes, kernelSize: 3, stride: stride, padding: 1,
            generator: &generator)
        bn2 = BatchNorm2d(channels: planes)
        conv3 = Conv2d(inputChannels: planes, outputChannels: width, kernelSize: 1, generator: &generator)
        bn3 = BatchNorm2d(channels: width)
        downsample =
            stride != 1 || inputChannels != width
            ? Downsample(inputChannels: inputChannels, outputChannels: width, stride: stride, generator: &generator)
            : nil
    }

    /// Channels out: 4 * planes.
    public var outputChannels: Int { conv3.outputChannels }
    /// `conv1`, `conv2`, `conv3`, then the shortcut's convolution if there is one.
    public var convolutions: [Conv2d] { [conv1, conv2, conv3] + (downsample.map { [$0.conv] } ?? []) }
    /// `bn1`, `bn2`, `bn3`, then the shortcut's BatchNorm if there is one.
    public var batchNorms: [BatchNorm2d] { [bn1, bn2, bn3] + (downsample.map { [$0.norm] } ?? []) }

    /// `conv1.weight`, `bn1.*` ... `bn3.*`, then `downsample.0.*` and `downsample.1.*`, as torchvision.
    public var namedState: NamedState {
        var state = NamedState()
        state.append(conv1.namedState, prefix: "conv1")
        state.append(bn1.namedState, prefix: "bn1")
        state.append(conv2.namedState, prefix: "conv2")
        state.append(bn2.namedState, prefix: "bn2")
        state.append(conv3.namedState, prefix: "conv3")
        state.append(bn3.namedState, prefix: "bn3")
        if let downsample { state.append(downsample.namedState, prefix: "downsample") }
        return state
    }

    /// input: [N, H, W, C_in] -> [N, ceil(H/s), ceil(W/s), 4 * planes]; saves for `backward` only if `keep`.
    public func forward(_ input: Tensor, training: Bool, keepingForBackward keep: Bool) -> Tensor {
        let a = bn1.forward(
            conv1.forward(input, keepingForBackward: keep), training: training, relu: true,
            keepingForBackward: keep)
        let b = bn2.forward(
            conv2.forward(a, keepingForBackward: keep), training: training, relu: true,
            keepingForBackward: keep)
        let shortcut = downsample?.forward(input, training: training, keepingForBackward: keep) ?? input
        // relu(bn3(conv3(b)) + shortcut) in one pass; bn3 keeps the output as its ReLU mask.
        let output = bn3.forward(
            conv3.forward(b, keepingForBackward: keep), training: training, relu: true,
            residual: shortcut, keepingForBackward: keep)
        return output
    }

    /// Accumulates the gradients of every parameter of the block; returns d(loss)/d(input), [N, H, W, C_in].
    public func backward(_ outputGradient: Tensor) -> Tensor {
        // bn3 applies the join's ReLU mask and hands the shortcut the masked gradient.
        // The shortcut's gradient is added to conv1's input gradient while each image is in cache.
        let (dMain, dShortcut) = bn3.backwardThroughJoin(outputGradient)
        let dResidual = downsample?.backward(dShortcut) ?? dShortcut
        let dB = conv3.backwardToInput(dMain)
        return conv1.backwardToInput(bn1.backward(conv2.backwardToInput(bn2.backward(dB))), adding: dResidual)
    }
}
