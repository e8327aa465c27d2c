import Testing
import TransferscopeCore
import TransferscopeNN

/// Finite-difference checks of residual blocks and whole ResNets (train mode), for the input
/// and for a parameter of every module.
///
/// Steps are smaller than for single layers: a weight feeds a whole channel, so a large step
/// moves many pre-activations across a ReLU kink and the difference quotient stops measuring
/// the derivative (seen: at h = 1e-2 a 30% error, at h = 1e-3 agreement to 1e-4).
/// The ResNet-18 (7x7 stem, max pool, four stages) is checked in evaluation mode: in Float32,
/// differences through eight train-mode BatchNorms over a handful of values are dominated by
/// curvature and roundoff. Its train-mode gradients are proven against PyTorch to 1e-4 instead
/// (`PyTorchParityTests`).
@Suite("Model gradients (finite differences)")
struct ModelGradientTests {
    @Test("BasicBlock with and without projection shortcut", arguments: [(4, 4, 1), (4, 6, 2)])
    func basicBlock(inputChannels: Int, planes: Int, stride: Int) {
        var generator = RandomGenerator(seed: 21)
        let block = BasicBlock(inputChannels: inputChannels, planes: planes, stride: stride, generator: &generator)
        let input = InputSlot(Tensor.randomNormal(shape: [3, 6, 6, inputChannels], using: &generator))
        var targets = [
            input.target, GradientCheck.parameter("conv1.weight", block.conv1.weight),
            GradientCheck.parameter("bn2.weight", block.bn2.weight),
        ]
        if let downsample = block.downsample {
            targets.append(GradientCheck.parameter("downsample.0.weight", downsample.conv.weight))
        }
        GradientCheck(step: 1e-3).check(
            "BasicBlock", forward: { block.forward(input.value, training: true) },
            backward: { input.gradient = block.backward($0) }, targets: targets, generator: &generator)
    }

    @Test("Bottleneck with projection shortcut")
    func bottleneck() {
        var generator = RandomGenerator(seed: 22)
        let block = Bottleneck(inputChannels: 4, planes: 2, stride: 2, generator: &generator)
        let input = InputSlot(Tensor.randomNormal(shape: [3, 6, 6, 4], using: &generator))
        GradientCheck(step: 1e-3).check(
            "Bottleneck", forward: { block.forward(input.value, training: true) },
            backward: { input.gradient = block.backward($0) },
            targets: [
                input.target, GradientCheck.parameter("conv2.weight", block.conv2.weight),
                GradientCheck.parameter("conv3.weight", block.conv3.weight),
                GradientCheck.parameter("bn3.bias", block.bn3.bias),
                GradientCheck.parameter("downsample.1.weight", block.downsample!.norm.weight),
            ],
            generator: &generator)
    }

    @Test("Whole ResNet, train and eval mode", arguments: [("resnet8", true), ("resnet8", false), ("resnet18", false)])
    func wholeModel(name: String, training: Bool) {
        var generator = RandomGenerator(seed: 23)
        let widths = name == "resnet8" ? [4, 6, 8] : [4, 4, 6, 6]
        let configuration = ResNetConfiguration.named(name, inputChannels: 2, classes: 3, widths: widths)!
        let model = ResNet(configuration, generator: &generator)
        // Non-trivial running statistics, so that evaluation mode is tested in general position:
        // means around 0, variances around 1. (Means of 0.5-1.5, as this test once drew, shut every
        // ReLU: all gradients were 0 and the evaluation-mode cases could not fail.)
        for (bufferName, buffer) in model.namedState.buffers {
            let isMean = bufferName.hasSuffix("running_mean")
            buffer.value = Tensor.randomUniform(
                shape: buffer.value.shape, lowerBound: isMean ? -0.3 : 0.5, upperBound: isMean ? 0.3 : 1.5,
                using: &generator)
        }
        let side = name == "resnet8" ? 6 : 64
        let input = InputSlot(Tensor.randomNormal(shape: [4, side, side, 2], using: &generator))
        var targets = [input.target]
        for (moduleName, state) in model.modules {
            let (parameterName, parameter) = state.parameters[0]
            targets.append(GradientCheck.parameter("\(moduleName):\(parameterName)", parameter))
        }
        GradientCheck(step: 1e-3, absoluteTolerance: 1e-2).check(
            "\(name) training=\(training)", forward: { model.forward(input.value, training: training) },
            backward: {
                model.zeroGradients()
                input.gradient = model.backward($0, inputGradient: true)!
            },
            targets: targets, generator: &generator)
    }
}
