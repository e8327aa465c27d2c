import Foundation
import Testing
import TransferscopeCore
import TransferscopeIO
import TransferscopeNN

/// The architecture's own checks (issue 15): what a file or flag may describe.
@Suite("ResNet configurations")
struct ConfigurationTests {
    @Test(
        "parameterCount is the model's exact number of parameters",
        arguments: [
            ("resnet8", 1, 3, [4, 8, 16], ResNetConfiguration.Stem.small), ("resnet20", 3, 10, nil, .small),
            ("resnet18", 3, 7, [8, 16, 32, 64], .imagenet), ("resnet50", 3, 5, [8, 16, 32, 64], .imagenet),
            ("resnet34", 1, 2, [4, 8, 8, 16], .small), ("resnet14", 3, 4, [16, 16, 16], .imagenet),
        ] as [(String, Int, Int, [Int]?, ResNetConfiguration.Stem)])
    func parameterCount(name: String, channels: Int, classes: Int, widths: [Int]?, stem: ResNetConfiguration.Stem)
        throws
    {
        let configuration = try #require(
            ResNetConfiguration.named(name, inputChannels: channels, classes: classes, widths: widths, stem: stem))
        var generator = RandomGenerator(seed: 0)
        let model = ResNet(configuration, generator: &generator)
        let actual = model.namedState.parameters.reduce(0) { $0 + $1.parameter.value.count }
        #expect(configuration.parameterCount == actual)
        try configuration.validate()
    }

    @Test(
        "forwardMultiplyAdds matches torchvision's count (conv and fc, from forward hooks)",
        arguments: [("resnet50", 4_089_184_256.0), ("resnet18", 1_814_073_344.0)])
    // torchvision.models.resnet50() / resnet18() on one 3x224x224 image, forward hooks summing
    // out.numel() * in_channels * kH * kW over every Conv2d and in_features * out_features over the Linear.
    func forwardMultiplyAdds(name: String, torchvision: Double) throws {
        let configuration = try #require(ResNetConfiguration.named(name, classes: 1000))
        #expect(configuration.forwardMultiplyAdds(imageSide: 224) == torchvision)
    }

    @Test("Absurd configurations are refused with the number and the limit")
    func refused() {
        let base = ResNetConfiguration.named("resnet20")!
        var cases: [(ResNetConfiguration, String)] = []
        var c = base
        c.classes = 1
        cases.append((c, "1 classes"))
        c = base
        c.classes = Limits.classes + 1
        cases.append((c, "2...100000"))
        c = base
        c.stemWidth = -3
        cases.append((c, "a width is -3"))
        c = base
        c.inputChannels = 0
        cases.append((c, "0 input channels"))
        for (configuration, fragment) in cases {
            var message = "accepted"
            do { try configuration.validate() } catch { message = error.localizedDescription }
            #expect(message.contains(fragment), "\(message)")
        }
    }

    @Test("Differences between architectures are spelled out")
    func differences() {
        let a = ResNetConfiguration.named("resnet20", inputChannels: 1)!
        let b = ResNetConfiguration.named("resnet20", inputChannels: 3)!
        #expect(a.differences(from: b) == "input channels 1 vs 3")
    }
}
