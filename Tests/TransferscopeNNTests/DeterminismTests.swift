import Testing
import TransferscopeCore
import TransferscopeNN
import TransferscopeOptimizers

/// Same seed and thread count, same bits: a few SGD steps of a ResNet run twice are identical.
@Suite("Determinism")
struct DeterminismTests {
    static func train(seed: UInt64) -> [Tensor] {
        var generator = RandomGenerator(seed: seed)
        let model = ResNet(
            ResNetConfiguration.named("resnet8", classes: 4, widths: [16, 16, 32])!, generator: &generator)
        let optimizer = SGD(parameters: model.namedState.parameters, hyperparameters: .init(nesterov: true))
        for _ in 0..<3 {
            let x = Tensor.randomNormal(shape: [8, 12, 12, 3], using: &generator)
            let labels = (0..<8).map { _ in Int(generator.next() % 4) }
            model.zeroGradients()
            let logits = model.forward(x, training: true)
            var d = Tensor(shape: logits.shape)
            _ = CrossEntropy.forwardBackward(
                logits: logits.unsafePointer, labels: labels, classes: 4,
                logitsGradient: d.unsafeMutablePointer)
            model.backward(d)
            optimizer.update(learningRate: 0.05)
        }
        return model.namedState.parameters.map(\.parameter.value) + model.namedState.buffers.map(\.buffer.value)
    }

    @Test("two runs with one seed end bit-identical; another seed differs")
    func sameSeedSameBits() {
        let a = Self.train(seed: 5)
        let b = Self.train(seed: 5)
        let c = Self.train(seed: 6)
        #expect(a == b)
        #expect(a != c)
    }

    @Test("the reference inference path (nothing kept for backward) gives the same bits as an eval-mode forward")
    func inferenceMatchesForward() {
        var generator = RandomGenerator(seed: 8)
        for name in ["resnet8", "resnet18"] {
            let widths = name == "resnet8" ? [16, 16, 32] : [16, 16, 32, 32]
            let model = ResNet(ResNetConfiguration.named(name, classes: 5, widths: widths)!, generator: &generator)
            let x = Tensor.randomNormal(shape: [4, 32, 32, 3], using: &generator)
            _ = model.forward(x, training: true)  // running statistics away from their initial values
            let logits = InferencePath.$current.withValue(.reference) { model.inference(x) }
            #expect(logits == model.forward(x, training: false), "\(name)")
        }
    }
}

/// The names the analyses rely on: modules and activations by name, in one forward pass.
@Suite("Named modules and activations")
struct NamedModuleTests {
    @Test("modules are stem, every block and fc; their state partitions the model's")
    func modules() {
        var generator = RandomGenerator(seed: 3)
        let model = ResNet(ResNetConfiguration.named("resnet20")!, generator: &generator)
        let names = model.modules.map(\.name)
        #expect(names.first == "stem" && names.last == "fc")
        #expect(names.count == 1 + 9 + 1)
        #expect(names.contains("layer2.0") && names.contains("layer3.2"))
        let moduleKeys = model.modules.flatMap { $0.state.names }
        #expect(moduleKeys.sorted() == model.namedState.names.sorted())
        #expect(Set(moduleKeys).count == moduleKeys.count)
    }

    @Test("activations by name come from the same pass as the logits")
    func activations() {
        var generator = RandomGenerator(seed: 4)
        let model = ResNet(
            ResNetConfiguration.named("resnet18", classes: 7, widths: [8, 8, 16, 16])!, generator: &generator)
        let x = Tensor.randomNormal(shape: [2, 32, 32, 3], using: &generator)
        let (logits, activations) = model.forward(x, training: false, capturing: Set(model.activationNames))
        #expect(activations["stem"]?.shape == [2, 8, 8, 8])  // 7x7 stride 2, then max pool
        #expect(activations["layer4"]?.shape == [2, 1, 1, 16])
        #expect(activations["layer4"] == activations["layer4.1"])
        #expect(activations["pool"]?.shape == [2, 16])
        #expect(activations["fc"] == logits)
        #expect(logits == model.forward(x, training: false))
    }
}
