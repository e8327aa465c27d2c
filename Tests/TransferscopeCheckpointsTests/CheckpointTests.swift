import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeIO
import TransferscopeNN
import TransferscopeOptimizers

@Suite("Checkpoints and state dicts")
struct CheckpointTests {
    static func tiny(seed: UInt64, classes: Int = 3) -> ResNet {
        var generator = RandomGenerator(seed: seed)
        return ResNet(
            ResNetConfiguration.named("resnet8", inputChannels: 1, classes: classes, widths: [4, 8, 8])!,
            generator: &generator)
    }

    @Test("torchvision key names and PyTorch layouts")
    func names() {
        let names = Set(CheckpointTests.tiny(seed: 1).namedState.names)
        for key in [
            "conv1.weight", "bn1.weight", "bn1.running_mean", "bn1.num_batches_tracked",
            "layer1.0.conv1.weight", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var",
            "fc.weight", "fc.bias",
        ] {
            #expect(names.contains(key), "missing \(key)")
        }
        let entries = StateDict.entries(of: CheckpointTests.tiny(seed: 1).namedState)
        #expect(entries["conv1.weight"]?.shape == [4, 1, 3, 3])  // [out, in, kH, kW]
        #expect(entries["layer2.0.downsample.0.weight"]?.shape == [8, 4, 1, 1])
        #expect(entries["fc.weight"]?.shape == [3, 8])  // [out, in]
        #expect(entries["bn1.num_batches_tracked"] == .int64(shape: [], values: [0]))
    }

    @Test("save and load give the same model, bit for bit")
    func roundTrip() throws {
        let model = CheckpointTests.tiny(seed: 1)
        var generator = RandomGenerator(seed: 9)
        let x = Tensor.randomNormal(shape: [2, 8, 8, 1], using: &generator)
        _ = model.forward(x, training: true)  // non-trivial running statistics and counters
        let path = SafeTensorsTests.temporaryPath("model.safetensors")
        try Checkpoint.save(model, to: path, classNames: ["a", "b", "c"], inputShape: [8, 8, 1])
        let loaded = try Checkpoint.loadModel(from: path)
        #expect(loaded.configuration == model.configuration)
        #expect(loaded.forward(x, training: false) == model.forward(x, training: false))
        #expect(loaded.bn1.batchesTracked.value == 1)
    }

    @Test("strict loading names missing, unexpected and mis-shaped keys, and changes nothing on failure")
    func strictness() throws {
        let source = StateDict.entries(of: CheckpointTests.tiny(seed: 1).namedState)
        let target = CheckpointTests.tiny(seed: 2)
        let before = target.conv1.weight.value

        var missing = SafeTensors(entries: source)
        missing.entries["layer1.0.bn2.running_var"] = nil
        #expect(throws: StateDictError.missingKeys(path: "m", keys: ["layer1.0.bn2.running_var"])) {
            try StateDict.load(missing, into: target.namedState, path: "m")
        }
        var unexpected = SafeTensors(entries: source)
        unexpected.entries["extra.weight"] = .float32(shape: [1], values: [0])
        #expect(throws: StateDictError.unexpectedKeys(path: "u", keys: ["extra.weight"])) {
            try StateDict.load(unexpected, into: target.namedState, path: "u")
        }
        var misshaped = SafeTensors(entries: source)
        misshaped.entries["fc.weight"] = .float32(shape: [8, 3], values: [Float](repeating: 0, count: 24))
        #expect(throws: StateDictError.shapeMismatch(path: "s", key: "fc.weight", expected: [3, 8], found: [8, 3])) {
            try StateDict.load(misshaped, into: target.namedState, path: "s")
        }
        #expect(target.conv1.weight.value == before)
        // Non-strict loading ignores the extra key; skipping the head leaves it as it was.
        let head = target.fc.weight.value
        try StateDict.load(
            unexpected, into: target.namedState, path: "u", strict: false, skipping: ["fc.weight", "fc.bias"])
        #expect(target.fc.weight.value == head)
        #expect(target.conv1.weight.value != before)
    }

    @Test("a checkpoint of another architecture is refused with the key named")
    func otherArchitecture() throws {
        let path = SafeTensorsTests.temporaryPath("ten.safetensors")
        try Checkpoint.save(CheckpointTests.tiny(seed: 1, classes: 10), to: path)
        do {
            try Checkpoint.load(into: CheckpointTests.tiny(seed: 1, classes: 3), from: path)
            Issue.record("expected a shape mismatch")
        } catch {
            #expect(error.localizedDescription.contains("fc.weight"))
        }
    }

    @Test("optimizer state round trip continues training identically")
    func optimizerState() throws {
        var generator = RandomGenerator(seed: 3)
        let x = Tensor.randomNormal(shape: [4, 8, 8, 1], using: &generator)
        let labels = [0, 1, 2, 1]
        func step(_ model: ResNet, _ optimizer: SGD) {
            model.zeroGradients()
            let logits = model.forward(x, training: true)
            var d = Tensor(shape: logits.shape)
            _ = CrossEntropy.forwardBackward(
                logits: logits.unsafePointer, labels: labels, classes: 3,
                logitsGradient: d.unsafeMutablePointer)
            model.backward(d)
            optimizer.update(learningRate: 0.1)
        }
        let a = CheckpointTests.tiny(seed: 5)
        let optimizerA = SGD(parameters: a.namedState.parameters, hyperparameters: .init(nesterov: true))
        step(a, optimizerA)
        let modelPath = SafeTensorsTests.temporaryPath("m.safetensors")
        let optimizerPath = modelPath + ".sgd"
        try Checkpoint.save(a, to: modelPath)
        try OptimizerState.save(optimizerA, to: optimizerPath)
        step(a, optimizerA)

        let b = try Checkpoint.loadModel(from: modelPath)
        let optimizerB = SGD(parameters: b.namedState.parameters, hyperparameters: .init(nesterov: true))
        try OptimizerState.load(into: optimizerB, from: optimizerPath)
        #expect(optimizerB.step == 1)
        step(b, optimizerB)
        #expect(a.fc.weight.value == b.fc.weight.value)
        #expect(a.conv1.weight.value == b.conv1.weight.value)
    }
}
