import TransferscopeCore

/// A residual block of a ResNet: BasicBlock or Bottleneck.
public protocol ResidualBlock: StateContainer {
    /// input: [N, H, W, C_in] -> [N, H/s, W/s, C_out]; keeps what `backward` needs unless
    /// `keepingForBackward` is false.
    func forward(_ input: Tensor, training: Bool, keepingForBackward: Bool) -> Tensor
    /// Accumulates parameter gradients and returns d(loss)/d(input).
    func backward(_ outputGradient: Tensor) -> Tensor
    /// Channels out.
    var outputChannels: Int { get }
    /// Every convolution of the block, the shortcut's included.
    var convolutions: [Conv2d] { get }
    /// Every BatchNorm of the block, the shortcut's included.
    var batchNorms: [BatchNorm2d] { get }
    /// The projection shortcut, or nil for the identity (its convolution and BatchNorm come last
    /// in `convolutions` and `batchNorms`).
    var downsample: Downsample? { get }
}

extension ResidualBlock {
    /// A forward pass that keeps what `backward` needs.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, training: training, keepingForBackward: true)
    }
}

/// The projection shortcut of a block that changes shape: 1x1 conv (stride s) + BatchNorm,
/// named `downsample.0` and `downsample.1` as in torchvision.
public final class Downsample: StateContainer {
    /// 1x1 convolution with stride s, C_in -> C_out, no bias (`downsample.0`).
    public let conv: Conv2d
    /// BatchNorm over C_out after `conv`, no ReLU (`downsample.1`).
    public let norm: BatchNorm2d

    /// A shortcut from `inputChannels` to `outputChannels` that subsamples by `stride`.
    public init(inputChannels: Int, outputChannels: Int, stride: Int, generator: inout RandomGenerator) {
        conv = Conv2d(
            inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 1,
            stride: stride, generator: &generator)
        norm = BatchNorm2d(channels: outputChannels)
    }

    /// `0.weight` (the convolution) and `1.*` (the BatchNorm), as torchvision's `downsample` Sequential.
    public var namedState: NamedState {
        var state = NamedState()
        state.append(conv.namedState, prefix: "0")
        state.append(norm.namedState, prefix: "1")
        return state
    }

    /// input: [N, H, W, C_in] -> BN(conv(input)), [N, ceil(H/s), ceil(W/s), C_out].
    public func forward(_ input: Tensor, training: Bool, keepingForBackward: Bool) -> Tensor {
        norm.forward(
            conv.forward(input, keepingForBackward: keepingForBackward), training: training,
            keepingForBackward: keepingForBackward)
    }

    /// Accumulates the convolution and BatchNorm gradients; returns d(loss)/d(input), [N, H, W, C_in].
    public func backward(_ outputGradient: Tensor) -> Tensor {
        conv.backwardToInput(norm.backward(outputGradient))
    }
}
