import Foundation
import TransferscopeCore
import TransferscopeIO
import TransferscopeNN

/// Why a state dict from outside Transferscope cannot become a model; the message names the file and what to do.
public enum ForeignStateDictError: Error, LocalizedError, Equatable {
    case notAResNet(path: String, reason: String)
    case architectureDiffers(path: String, given: String, differences: String)

    /// The message for the user.
    public var errorDescription: String? {
        switch self {
        case .notAResNet(let path, let reason):
            return
                "\(path) is not a state dict of a ResNet Transferscope can build: \(reason). It reads torchvision's "
                + "ResNet names (conv1, bn1, layerN.M.convK, downsample.0/1, fc) with BasicBlock or Bottleneck blocks."
        case .architectureDiffers(let path, let given, let differences):
            return
                "\(path) does not hold a \(given): \(differences) (the file's value second). Leave out --model "
                + "and --widths to take the architecture the file has."
        }
    }
}

/// A PyTorch state dict written outside Transferscope (`torch.save(model.state_dict())`, or a plain
/// safetensors file): its entries with a `module.` prefix removed when every key has one (as
/// `nn.DataParallel` saves), the ResNet its keys and shapes describe, and that ResNet with the weights loaded strictly.
public struct ForeignStateDict {
    /// The tensors by PyTorch key, without a `module.` prefix.
    public private(set) var entries: [String: SafeTensors.Entry]
    /// The file they came from, for messages.
    public let path: String
    /// Whether every key carried a `module.` prefix, now removed.
    public let hadModulePrefix: Bool

    /// The state dict `entries` read from `path`.
    public init(entries: [String: SafeTensors.Entry], path: String) {
        let prefix = "module."
        hadModulePrefix = !entries.isEmpty && entries.keys.allSatisfy { $0.hasPrefix(prefix) }
        self.entries =
            hadModulePrefix
            ? Dictionary(uniqueKeysWithValues: entries.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
            : entries
        self.path = path
    }

    /// The shape PyTorch gave `key`, or an error naming it when the file lacks it.
    func shape(_ key: String) throws -> [Int] {
        guard let entry = entries[key] else { throw fail("it has no `\(key)`") }
        return entry.shape
    }

    func fail(_ reason: String) -> ForeignStateDictError { .notAResNet(path: path, reason: reason) }

    /// The ResNet the keys and shapes describe: stem from `conv1.weight` (7x7: torchvision's,
    /// with the max pool; 3x3: the CIFAR stem, without), block kind from `layer1.0.conv3`, blocks
    /// per stage from the `layerN.M` indices, widths from each stage's first `conv1`, input
    /// channels from `conv1` and classes from `fc`. Named `resnet18`/`resnet50`/`resnet20`/...
    /// when it is that preset at some widths, else `custom-resnetD` with D its depth. `model` and
    /// `widths` (as `ResNetConfiguration.named` takes them) must then describe the same network;
    /// `stem` overrides what the stem's kernel suggests (a 7x7 stem without pool is not buildable).
    public func architecture(model: String? = nil, widths givenWidths: [Int]? = nil) throws -> ResNetConfiguration {
        let stemShape = try shape("conv1.weight")
        guard stemShape.count == 4, stemShape[2] == stemShape[3], [3, 7].contains(stemShape[2]) else {
            throw fail("its conv1.weight has shape \(stemShape); a 7x7 (torchvision) or 3x3 (CIFAR) stem is needed")
        }
        let stem: ResNetConfiguration.Stem = stemShape[2] == 7 ? .imagenet : .small
        let (stemWidth, inputChannels) = (stemShape[0], stemShape[1])
        let block: ResNetConfiguration.BlockKind = entries["layer1.0.conv3.weight"] == nil ? .basic : .bottleneck
        var blocksPerStage: [Int] = []
        var widths: [Int] = []
        for stage in 1... {
            let prefix = "layer\(stage)."
            let indices = Set(
                entries.keys.compactMap { key -> Int? in
                    guard key.hasPrefix(prefix) else { return nil }
                    return Int(key.dropFirst(prefix.count).prefix { $0 != "." })
                })
            if indices.isEmpty { break }
            guard indices == Set(0..<indices.count) else {
                throw fail(
                    "the blocks of layer\(stage) are numbered \(indices.sorted()), not 0 to \(indices.count - 1)")
            }
            blocksPerStage.append(indices.count)
            let first = try shape("layer\(stage).0.conv1.weight")
            guard first.count == 4 else { throw fail("layer\(stage).0.conv1.weight has shape \(first)") }
            widths.append(first[0])
        }
        guard !widths.isEmpty else { throw fail("it has no layer1 (no residual stages)") }
        if block == .bottleneck {
            for (stage, width) in widths.enumerated() {
                let expansion = try shape("layer\(stage + 1).0.conv3.weight")
                guard expansion.first == width * Bottleneck.expansion else {
                    throw fail(
                        "layer\(stage + 1).0.conv3 has \(expansion.first ?? 0) outputs for \(width) planes; only "
                            + "Bottleneck blocks with 4x expansion and no widening (not Wide ResNet, not ResNeXt) "
                            + "are supported")
                }
            }
        }
        let head = try shape("fc.weight")
        guard head.count == 2 else { throw fail("its fc.weight has shape \(head), not [classes, features]") }
        let depth = 2 + blocksPerStage.reduce(0, +) * (block == .basic ? 2 : 3)
        var inferred = ResNetConfiguration(
            name: "custom-resnet\(depth)", block: block, blocksPerStage: blocksPerStage, widths: widths, stem: stem,
            stemWidth: stemWidth, inputChannels: inputChannels, classes: head[0])
        let presets = ResNetConfiguration.knownNames.compactMap { name in
            ResNetConfiguration.named(
                name, inputChannels: inputChannels, classes: head[0], widths: widths, stem: stem)
        }
        if let preset = presets.first(where: { $0.differences(from: inferred) == "no difference" }) {
            inferred.name = preset.name
        }
        do { try inferred.validate() } catch { throw fail(error.localizedDescription) }
        if model != nil || givenWidths != nil {
            let name = model ?? inferred.name
            guard
                let given = ResNetConfiguration.named(
                    name, inputChannels: inputChannels, classes: head[0], widths: givenWidths ?? widths, stem: stem)
            else {
                throw fail(
                    "--model \(name) with --widths \(givenWidths ?? widths) is not a known architecture (known: "
                        + ResNetConfiguration.knownNames.joined(separator: ", ") + ")")
            }
            let differences = given.differences(from: inferred)
            guard differences == "no difference" else {
                throw ForeignStateDictError.architectureDiffers(path: path, given: name, differences: differences)
            }
            return given
        }
        return inferred
    }

    /// A model of `architecture` with the file's weights, loaded strictly (every key of the model
    /// present, no key left over, every shape right; `StateDictError` names the key). Only the
    /// BatchNorm step counters (`num_batches_tracked`) may be absent, as in files saved by
    /// PyTorch before 0.4.1; they then start at 0 (they matter only without a momentum).
    public func model(_ architecture: ResNetConfiguration) throws -> ResNet {
        var generator = RandomGenerator(seed: 0)
        let model = ResNet(architecture, generator: &generator)
        let absentCounters = Set(model.namedState.counters.map(\.name).filter { entries[$0] == nil })
        try StateDict.load(
            SafeTensors(entries: entries, metadata: [:]), into: model.namedState, path: path, skipping: absentCounters)
        return model
    }
}
