/// The architecture of a ResNet: block kind, blocks and widths per stage, stem, input and classes.
public struct ResNetConfiguration: Equatable, Sendable, Codable {
    /// Which residual block the stages are made of.
    public enum BlockKind: String, Sendable, Codable { case basic, bottleneck }
    /// The first layers before the stages.
    public enum Stem: String, Sendable, Codable {
        /// 3x3 convolution, stride 1, no max pool (CIFAR-style, for small images).
        case small
        /// 7x7 convolution, stride 2, then 3x3 max pool with stride 2 (torchvision/ImageNet).
        case imagenet
    }

    /// A short name such as `resnet20` or `resnet18`.
    public var name: String
    public var block: BlockKind
    /// Blocks in each stage (`layer1`, `layer2`, ...).
    public var blocksPerStage: [Int]
    /// The `planes` of each stage; the first stage keeps the resolution, the others halve it.
    public var widths: [Int]
    public var stem: Stem
    /// Channels of the stem's output (torchvision: 64; CIFAR family: the first width).
    public var stemWidth: Int
    public var inputChannels: Int
    public var classes: Int

    public init(
        name: String, block: BlockKind, blocksPerStage: [Int], widths: [Int], stem: Stem, stemWidth: Int,
        inputChannels: Int = 3, classes: Int = 10
    ) {
        precondition(blocksPerStage.count == widths.count && !widths.isEmpty,
                     "ResNetConfiguration: \(blocksPerStage.count) stages but \(widths.count) widths")
        self.name = name
        self.block = block
        self.blocksPerStage = blocksPerStage
        self.widths = widths
        self.stem = stem
        self.stemWidth = stemWidth
        self.inputChannels = inputChannels
        self.classes = classes
    }

    /// The names the tool accepts for `named(_:)`.
    public static let knownNames = ["resnet8", "resnet14", "resnet20", "resnet32", "resnet56",
                                    "resnet18", "resnet34", "resnet50"]

    /// A preset by name: the CIFAR family `resnet{6n+2}` (BasicBlocks, 3 stages, widths
    /// 16/32/64 by default, 3x3 stem) or torchvision's `resnet18/34/50` (widths 64/128/256/512
    /// by default, 7x7 stem with max pool unless `stem` says otherwise). `widthScale` scales
    /// every width (e.g. 0.125 turns 64/128/256/512 into 8/16/32/64).
    public static func named(
        _ name: String, inputChannels: Int = 3, classes: Int = 10, widths: [Int]? = nil,
        stem: Stem? = nil
    ) -> ResNetConfiguration? {
        let cifarDepths = ["resnet8": 1, "resnet14": 2, "resnet20": 3, "resnet32": 5, "resnet56": 9]
        if let n = cifarDepths[name] {
            let w = widths ?? [16, 32, 64]
            guard w.count == 3 else { return nil }
            return ResNetConfiguration(
                name: name, block: .basic, blocksPerStage: [n, n, n], widths: w, stem: stem ?? .small,
                stemWidth: w[0], inputChannels: inputChannels, classes: classes)
        }
        let imagenet: [String: (BlockKind, [Int])] = [
            "resnet18": (.basic, [2, 2, 2, 2]), "resnet34": (.basic, [3, 4, 6, 3]),
            "resnet50": (.bottleneck, [3, 4, 6, 3]),
        ]
        guard let (block, blocks) = imagenet[name] else { return nil }
        let w = widths ?? [64, 128, 256, 512]
        guard w.count == 4 else { return nil }
        return ResNetConfiguration(
            name: name, block: block, blocksPerStage: blocks, widths: w, stem: stem ?? .imagenet,
            stemWidth: w[0], inputChannels: inputChannels, classes: classes)
    }

    /// Channels into the classifier head.
    public var featureChannels: Int { widths.last! * (block == .bottleneck ? Bottleneck.expansion : 1) }
}
