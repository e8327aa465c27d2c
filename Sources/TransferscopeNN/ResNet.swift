import TransferscopeCore

/// A ResNet image classifier on NHWC input, with torchvision's module and state-dict names:
/// `conv1`, `bn1`, (`maxpool`), `layer1` ... `layerK` of residual blocks, global average pool, `fc`.
public final class ResNet: StateContainer {
    /// The architecture the model was built from.
    public let configuration: ResNetConfiguration
    /// The stem convolution, C_in -> stemWidth: 3x3 stride 1 (`.small`) or 7x7 stride 2 (`.imagenet`).
    public let conv1: Conv2d
    /// The stem's BatchNorm over stemWidth channels, followed by ReLU.
    public let bn1: BatchNorm2d
    /// The `.imagenet` stem's 3x3 stride-2 max pool (`maxpool`); nil for the `.small` stem.
    public let maxPool: MaxPool2d?
    /// stages[s][b] is `layer{s+1}.{b}`.
    public let stages: [[any ResidualBlock]]
    /// Global average pool, [N, H, W, C] -> [N, C], between the last stage and `fc`.
    public let pool = GlobalAveragePool()
    /// The classifier head: `featureChannels` -> `classes` logits.
    public let fc: Linear

    /// A freshly initialized model, as torchvision initializes ResNets: convolutions Kaiming
    /// normal (fan_out, ReLU gain), BatchNorm weight 1 and bias 0, the head PyTorch's default.
    public init(_ configuration: ResNetConfiguration, generator: inout RandomGenerator) {
        self.configuration = configuration
        let c = configuration
        let stemKernel = c.stem == .small ? 3 : 7
        conv1 = Conv2d(
            inputChannels: c.inputChannels, outputChannels: c.stemWidth, kernelSize: stemKernel,
            stride: c.stem == .small ? 1 : 2, padding: stemKernel / 2, generator: &generator)
        bn1 = BatchNorm2d(channels: c.stemWidth)
        maxPool = c.stem == .imagenet ? MaxPool2d(kernelSize: 3, stride: 2, padding: 1) : nil
        var channels = c.stemWidth
        var stages: [[any ResidualBlock]] = []
        for (index, (blocks, planes)) in zip(c.blocksPerStage, c.widths).enumerated() {
            var stage: [any ResidualBlock] = []
            for b in 0..<blocks {
                let stride = (b == 0 && index > 0) ? 2 : 1
                let block: any ResidualBlock =
                    c.block == .basic
                    ? BasicBlock(inputChannels: channels, planes: planes, stride: stride, generator: &generator)
                    : Bottleneck(inputChannels: channels, planes: planes, stride: stride, generator: &generator)
                channels = block.outputChannels
                stage.append(block)
            }
            stages.append(stage)
        }
        self.stages = stages
        fc = Linear(inputFeatures: channels, outputFeatures: c.classes, generator: &generator)
        Initialization.torchvisionResNet(self, generator: &generator)
        let scratch = ConvolutionScratch()
        for conv in convolutions { conv.share(scratch) }
    }

    /// Every convolution, in forward order.
    public var convolutions: [Conv2d] { [conv1] + blockNames.flatMap { $0.1.convolutions } }

    /// Every BatchNorm, in forward order.
    public var batchNorms: [BatchNorm2d] { [bn1] + blockNames.flatMap { $0.1.batchNorms } }

    /// The whole model's state under torchvision's names, in module order (`conv1.weight` ... `fc.bias`).
    public var namedState: NamedState {
        var state = NamedState()
        for (_, module) in modules { state.append(module, prefix: "") }
        return state
    }

    /// The modules the analyses rewind, interpolate and probe, in forward order, with their
    /// state under full state-dict names: `stem` (conv1 + bn1), every block `layerS.B`, and `fc`.
    public var modules: [(name: String, state: NamedState)] {
        var stem = NamedState()
        stem.append(conv1.namedState, prefix: "conv1")
        stem.append(bn1.namedState, prefix: "bn1")
        var result: [(String, NamedState)] = [("stem", stem)]
        for (name, block) in blockNames {
            var state = NamedState()
            state.append(block.namedState, prefix: name)
            result.append((name, state))
        }
        var head = NamedState()
        head.append(fc.namedState, prefix: "fc")
        result.append(("fc", head))
        return result
    }

    /// Every block with its name `layerS.B`, in forward order.
    public var blockNames: [(String, any ResidualBlock)] {
        stages.enumerated().flatMap { s, stage in stage.enumerated().map { ("layer\(s + 1).\($0)", $1) } }
    }

    /// The names `forward(_:training:capturing:)` can return: `stem`, each block `layerS.B`,
    /// each stage `layerS` (its last block's output), `pool` (features before the head), `fc` (logits).
    public var activationNames: [String] {
        ["stem"]
            + stages.indices.flatMap { s in
                (0..<stages[s].count).map { "layer\(s + 1).\($0)" } + ["layer\(s + 1)"]
            } + ["pool", "fc"]
    }

    /// input: [N, H, W, C_in] -> logits [N, classes].
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, training: training, capturing: []).logits
    }

    /// Evaluation-mode logits without keeping anything for a backward pass (PyTorch's
    /// `model.eval()` under `torch.no_grad()`), through `InferencePath.current`'s path. To evaluate
    /// many batches with the same weights, build one `InferenceModel` and reuse it.
    public func inference(_ input: Tensor) -> Tensor {
        InferenceModel(self).logits(input)
    }

    /// The logits and, in the same pass, the activations whose names are in `names`
    /// (see `activationNames`; unknown names are a programmer error).
    /// With `keepingForBackward` false nothing is kept for `backward` (which must not follow).
    public func forward(
        _ input: Tensor, training: Bool, capturing names: Set<String>, keepingForBackward keep: Bool = true
    ) -> (logits: Tensor, activations: [String: Tensor]) {
        precondition(
            names.isSubset(of: Set(activationNames)),
            "ResNet.forward: unknown activation names \(names.subtracting(activationNames).sorted())")
        precondition(
            input.shape.count == 4 && input.shape[3] == configuration.inputChannels,
            "ResNet.forward: expected [N, H, W, \(configuration.inputChannels)], got \(input.shape)")
        var captured: [String: Tensor] = [:]
        var x = bn1.forward(
            conv1.forward(input, keepingForBackward: keep), training: training, relu: true,
            keepingForBackward: keep)
        if let maxPool { x = maxPool.forward(x) }
        if names.contains("stem") { captured["stem"] = x }
        for (s, stage) in stages.enumerated() {
            for (b, block) in stage.enumerated() {
                x = block.forward(x, training: training, keepingForBackward: keep)
                if names.contains("layer\(s + 1).\(b)") { captured["layer\(s + 1).\(b)"] = x }
            }
            if names.contains("layer\(s + 1)") { captured["layer\(s + 1)"] = x }
        }
        let features = pool.forward(x)
        if names.contains("pool") { captured["pool"] = features }
        let logits = fc.forward(features)
        if names.contains("fc") { captured["fc"] = logits }
        return (logits, captured)
    }

    /// Back-propagates d(loss)/d(logits) through the last forward pass, accumulating every
    /// parameter's gradient; returns d(loss)/d(input) if `inputGradient`.
    @discardableResult
    public func backward(_ logitsGradient: Tensor, inputGradient: Bool = false) -> Tensor? {
        var dx = pool.backward(fc.backward(logitsGradient))
        for stage in stages.reversed() {
            for block in stage.reversed() { dx = block.backward(dx) }
        }
        if let maxPool { dx = maxPool.backward(dx) }
        return conv1.backward(bn1.backward(dx), inputGradient: inputGradient)
    }

    /// Sets every parameter's gradient to zero.
    public func zeroGradients() {
        for (_, parameter) in namedState.parameters { parameter.zeroGradient() }
    }

    /// The number of trainable scalars.
    public var parameterCount: Int { namedState.parameters.reduce(0) { $0 + $1.parameter.value.count } }
}
