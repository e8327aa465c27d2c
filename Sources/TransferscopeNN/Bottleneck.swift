import TransferscopeCore

/// 1x1 -> 3x3 (stride s) -> 1x1 (x4 channels) convolutions with a residual connection, as
/// torchvision's `Bottleneck` (ResNet v1.5: the stride sits on the 3x3 convolution).
public final class Bottleneck: ResidualBlock {
    public static let expansion = 4
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    public let conv3: Conv2d
    public let bn3: BatchNorm2d
    public let downsample: Downsample?
    private var savedOutput = Tensor()

    public init(inputChannels: Int, planes: Int, stride: Int, generator: inout RandomGenerator) {
        let width = planes * Bottleneck.expansion
        conv1 = Conv2d(inputChannels: inputChannels, outputChannels: planes, kernelSize: 1, generator: &generator)
        bn1 = BatchNorm2d(channels: planes)
        conv2 = Conv2d(inputChannels: planes, outputChannels: planes, kernelSize: 3, stride: stride, padding: 1,
                       generator: &generator)
        bn2 = BatchNorm2d(channels: planes)
        conv3 = Conv2d(inputChannels: planes, outputChannels: width, kernelSize: 1, generator: &generator)
        bn3 = BatchNorm2d(channels: width)
        downsample = stride != 1 || inputChannels != width
            ? Downsample(inputChannels: inputChannels, outputChannels: width, stride: stride, generator: &generator)
            : nil
    }

    public var outputChannels: Int { conv3.outputChannels }
    public var convolutions: [Conv2d] { [conv1, conv2, conv3] + (downsample.map { [$0.conv] } ?? []) }
    public var batchNorms: [BatchNorm2d] { [bn1, bn2, bn3] + (downsample.map { [$0.norm] } ?? []) }

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

    public func forward(_ input: Tensor, training: Bool, keepingForBackward keep: Bool) -> Tensor {
        let a = bn1.forward(conv1.forward(input, keepingForBackward: keep), training: training, relu: true,
                            keepingForBackward: keep)
        let b = bn2.forward(conv2.forward(a, keepingForBackward: keep), training: training, relu: true,
                            keepingForBackward: keep)
        let shortcut = downsample?.forward(input, training: training, keepingForBackward: keep) ?? input
        // relu(bn3(conv3(b)) + shortcut) in one pass; bn3 keeps the output as its ReLU mask.
        let output = bn3.forward(conv3.forward(b, keepingForBackward: keep), training: training, relu: true,
                                 residual: shortcut, keepingForBackward: keep)
        savedOutput = keep ? output : Tensor()
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        // bn3 applies the join's ReLU mask itself; the shortcut gets the masked gradient.
        let dB = conv3.backwardToInput(bn3.backward(outputGradient))
        var dx = conv1.backwardToInput(bn1.backward(conv2.backwardToInput(bn2.backward(dB))))
        let dShortcut = residualJoinBackward(outputGradient, output: savedOutput)
        savedOutput = Tensor()
        accumulate(&dx, downsample?.backward(dShortcut) ?? dShortcut)
        return dx
    }
}
