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
        for conv in model.convolutions { kaimingNormalFanOut(conv, generator: &generator) }
    }
}
