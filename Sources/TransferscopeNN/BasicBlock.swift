import TransferscopeCore

/// Two 3x3 convolutions with a residual connection (He et al. 2016), as torchvision's
/// `BasicBlock`: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
public final class BasicBlock: ResidualBlock {
    public static let expansion = 1
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    public let downsample: Downsample?
    private var savedOutput = Tensor()

    public init(inputChannels: Int, planes: Int, stride: Int, generator: inout RandomGenerator) {
        conv1 = Conv2d(inputChannels: inputChannels, outputChannels: planes, kernelSize: 3, stride: stride,
                       padding: 1, generator: &generator)
        bn1 = BatchNorm2d(channels: planes)
        conv2 = Conv2d(inputChannels: planes, outputChannels: planes, kernelSize: 3, padding: 1, generator: &generator)
        bn2 = BatchNorm2d(channels: planes)
        downsample = stride != 1 || inputChannels != planes
            ? Downsample(inputChannels: inputChannels, outputChannels: planes, stride: stride, generator: &generator)
            : nil
    }

    public var outputChannels: Int { conv2.outputChannels }
    public var convolutions: [Conv2d] { [conv1, conv2] + (downsample.map { [$0.conv] } ?? []) }
    public var batchNorms: [BatchNorm2d] { [bn1, bn2] + (downsample.map { [$0.norm] } ?? []) }

    public var namedState: NamedState {
        var state = NamedState()
        state.append(conv1.namedState, prefix: "conv1")
        state.append(bn1.namedState, prefix: "bn1")
        state.append(conv2.namedState, prefix: "conv2")
        state.append(bn2.namedState, prefix: "bn2")
        if let downsample { state.append(downsample.namedState, prefix: "downsample") }
        return state
    }

    public func forward(_ input: Tensor, training: Bool, keepingForBackward keep: Bool) -> Tensor {
        let hidden = bn1.forward(conv1.forward(input, keepingForBackward: keep), training: training, relu: true,
                                 keepingForBackward: keep)
        let shortcut = downsample?.forward(input, training: training, keepingForBackward: keep) ?? input
        // relu(bn2(conv2(hidden)) + shortcut) in one pass; bn2 keeps the output as its ReLU mask.
        let output = bn2.forward(conv2.forward(hidden, keepingForBackward: keep), training: training, relu: true,
                                 residual: shortcut, keepingForBackward: keep)
        savedOutput = keep ? output : Tensor()
        return output
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        // bn2 applies the join's ReLU mask itself; the shortcut gets the masked gradient.
        var dx = conv1.backwardToInput(bn1.backward(conv2.backwardToInput(bn2.backward(outputGradient))))
        let dShortcut = residualJoinBackward(outputGradient, output: savedOutput)
        savedOutput = Tensor()
        accumulate(&dx, downsample?.backward(dShortcut) ?? dShortcut)
        return dx
    }
}
