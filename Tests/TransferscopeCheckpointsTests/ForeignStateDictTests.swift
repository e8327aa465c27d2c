import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeIO
import TransferscopeNN

@Suite("State dicts from outside: the architecture read from keys and shapes, strict loads")
struct ForeignStateDictTests {
    /// The state dict PyTorch would save for `configuration` (Transferscope's names are torchvision's).
    static func stateDict(_ configuration: ResNetConfiguration, seed: UInt64 = 1) -> [String: SafeTensors.Entry] {
        var generator = RandomGenerator(seed: seed)
        return StateDict.entries(of: ResNet(configuration, generator: &generator).namedState)
    }

    static let architectures: [ResNetConfiguration] = [
        ResNetConfiguration.named("resnet18", classes: 1000)!,
        ResNetConfiguration.named("resnet50", inputChannels: 3, classes: 7, widths: [4, 8, 16, 32])!,
        ResNetConfiguration.named("resnet34", inputChannels: 1, classes: 3, widths: [4, 4, 8, 8], stem: .small)!,
        ResNetConfiguration.named("resnet20", inputChannels: 3, classes: 10, widths: [8, 16, 32])!,
        ResNetConfiguration.named("resnet8", inputChannels: 1, classes: 2)!,
        // Not a preset: one block per stage, a stem wider than the first stage.
        ResNetConfiguration(
            name: "custom-resnet10", block: .basic, blocksPerStage: [1, 1, 1, 1], widths: [8, 16, 32, 64],
            stem: .imagenet,
            stemWidth: 16, inputChannels: 3, classes: 5),
        ResNetConfiguration(
            name: "custom-resnet14", block: .bottleneck, blocksPerStage: [1, 1, 1, 1], widths: [4, 8, 8, 16],
            stem: .small,
            stemWidth: 4, inputChannels: 3, classes: 4),
    ]

    @Test("Every architecture is read back exactly from its state dict, named as its preset", arguments: architectures)
    func inferred(_ configuration: ResNetConfiguration) throws {
        let state = ForeignStateDict(entries: Self.stateDict(configuration), path: "model.pth")
        let read = try state.architecture()
        #expect(read == configuration, "\(read.differences(from: configuration))")
        #expect(read.name == configuration.name)
        #expect(!state.hadModulePrefix)
    }

    @Test("The weights load strictly and give the same logits as the model they came from")
    func sameLogits() throws {
        let configuration = ResNetConfiguration.named("resnet50", classes: 3, widths: [4, 4, 8, 8])!
        var generator = RandomGenerator(seed: 5)
        let original = ResNet(configuration, generator: &generator)
        // Statistics far from the initial ones, so a buffer left unloaded would show.
        for (_, buffer) in original.namedState.buffers {
            buffer.value = Tensor(
                shape: buffer.value.shape, scalars: buffer.value.scalars.indices.map { 0.5 + Float($0 % 7) / 7 })
        }
        let state = ForeignStateDict(entries: StateDict.entries(of: original.namedState), path: "m.pth")
        let model = try state.model(try state.architecture())
        let images = Tensor(
            shape: [2, 32, 32, 3], scalars: (0..<(2 * 32 * 32 * 3)).map { Float(($0 * 37) % 101) / 50 - 1 })
        #expect(model.inference(images).scalars == original.inference(images).scalars)
    }

    @Test("nn.DataParallel's `module.` prefix is removed; a missing step counter is allowed, a missing weight is not")
    func prefixAndMissingKeys() throws {
        let configuration = ResNetConfiguration.named("resnet8", classes: 4)!
        var entries = Self.stateDict(configuration)
        let prefixed = Dictionary(uniqueKeysWithValues: entries.map { ("module." + $0.key, $0.value) })
        let state = ForeignStateDict(entries: prefixed, path: "dp.pth")
        #expect(state.hadModulePrefix)
        #expect(try state.architecture() == configuration)
        entries.removeValue(forKey: "bn1.num_batches_tracked")
        let old = ForeignStateDict(entries: entries, path: "old.pth")
        #expect(try old.model(configuration).configuration == configuration)
        entries.removeValue(forKey: "layer2.0.bn1.running_var")
        let broken = ForeignStateDict(entries: entries, path: "broken.pth")
        let error = #expect(throws: StateDictError.self) { try broken.model(configuration) }
        #expect(error?.errorDescription?.contains("layer2.0.bn1.running_var") == true)
    }

    @Test("--model and --widths are checked against the file; a network that is no ResNet is refused by name")
    func givenArchitectureAndRefusals() throws {
        let configuration = ResNetConfiguration.named("resnet18", classes: 10, widths: [8, 16, 32, 64])!
        let state = ForeignStateDict(entries: Self.stateDict(configuration), path: "r18.pth")
        #expect(try state.architecture(model: "resnet18") == configuration)
        let wrong = #expect(throws: ForeignStateDictError.self) { try state.architecture(model: "resnet34") }
        #expect(wrong?.errorDescription?.contains("blocks per stage [3, 4, 6, 3] vs [2, 2, 2, 2]") == true)
        let widths = #expect(throws: ForeignStateDictError.self) {
            try state.architecture(widths: [64, 128, 256, 512])
        }
        #expect(widths?.errorDescription?.contains("widths") == true)

        var noHead = Self.stateDict(configuration)
        noHead.removeValue(forKey: "fc.weight")
        let headless = #expect(throws: ForeignStateDictError.self) {
            try ForeignStateDict(entries: noHead, path: "x.pth").architecture()
        }
        #expect(headless?.errorDescription?.contains("x.pth") == true)
        #expect(headless?.errorDescription?.contains("fc.weight") == true)

        // A Wide ResNet's bottleneck is wider inside than its planes: refused, not misread.
        var wide = Self.stateDict(ResNetConfiguration.named("resnet50", classes: 3, widths: [4, 8, 8, 16])!)
        wide["layer1.0.conv3.weight"] = .float32(shape: [8, 4, 1, 1], values: .init(repeating: 0, count: 32))
        let widened = #expect(throws: ForeignStateDictError.self) {
            try ForeignStateDict(entries: wide, path: "wide.pth").architecture()
        }
        #expect(widened?.errorDescription?.contains("Wide ResNet") == true)

        let mlp: [String: SafeTensors.Entry] = ["0.weight": .float32(shape: [2, 2], values: [1, 2, 3, 4])]
        let notResNet = #expect(throws: ForeignStateDictError.self) {
            try ForeignStateDict(entries: mlp, path: "mlp.pth").architecture()
        }
        #expect(notResNet?.errorDescription?.contains("conv1.weight") == true)
    }
}
