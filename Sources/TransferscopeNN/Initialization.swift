import Foundation
import TransferscopeCore

/// Weight initializations, each drawing from an explicitly passed generator.
public enum Initialization {
    /// He et al. (2015) normal initialization with fan_out: N(0, 2 / (C_out * kH * kW)), as
    /// `torch.nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")`.
    public static func kaimingNormalFanOut(_ conv: Conv2d, generator: inout RandomGenerator) {
        let fanOut = conv.outputChannels * conv.kernelSize * conv.kernelSize
        conv.weight.value = Tensor.randomNormal(
            shape: conv.weight.value.shape, standardDeviation: (2 / Float(fanOut)).squareRoot(), using: &generator)
    }

    /// torchvision's ResNet initialization: every convolution Kaiming normal (fan_out),
    /// every BatchNorm weight 1 and bias 0; the head keeps `Linear`'s default.
    public static func torchvisionResNet(_ model: ResNet, generator: inout RandomGenerator) {
        var convolutions = [model.conv1]
        for (_, block) in model.blockNames {
            if let basic = block as? BasicBlock {
                convolutions += [basic.conv1, basic.conv2] + (basic.downsample.map { [$0.conv] } ?? [])
            } else if let bottleneck = block as? Bottleneck {
                convolutions += [bottleneck.conv1, bottleneck.conv2, bottleneck.conv3]
                    + (bottleneck.downsample.map { [$0.conv] } ?? [])
            }
        }
        for conv in convolutions { kaimingNormalFanOut(conv, generator: &generator) }
    }
}
