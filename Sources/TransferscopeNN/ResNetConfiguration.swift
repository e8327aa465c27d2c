import Foundation
import TransferscopeCore
import TransferscopeIO

/// The architecture of a ResNet: block kind, blocks and widths per stage, stem, input and classes.
public struct ResNetConfiguration: Equatable, Sendable, Codable {
    /// Which residual block the stages are made of.
    public enum BlockKind: String, Sendable, Codable { case basic, bottleneck }
    /// The first layers before the stages.
    public enum Stem: String, Sendable, Codable, CaseIterable {
        /// 3x3 convolution, stride 1, no max pool (CIFAR-style, for small images).
        case small
        /// 7x7 convolution, stride 2, then 3x3 max pool with stride 2 (torchvision/ImageNet).
        case imagenet
    }

    /// A short name such as `resnet20` or `resnet18`.
    public var name: String
    /// `.basic` (two 3x3 convolutions) or `.bottleneck` (1x1, 3x3, 1x1 with 4x wider output).
    public var block: BlockKind
    /// Blocks in each stage (`layer1`, `layer2`, ...).
    public var blocksPerStage: [Int]
    /// The `planes` of each stage; the first stage keeps the resolution, the others halve it.
    public var widths: [Int]
    /// `.small` (3x3 convolution, no pool) or `.imagenet` (7x7 stride 2, then max pool).
    public var stem: Stem
    /// Channels of the stem's output (torchvision: 64; CIFAR family: the first width).
    public var stemWidth: Int
    /// Channels of the input images (1 for grayscale, 3 for RGB).
    public var inputChannels: Int
    /// Number of classes, the logits of the head (at least 2 once validated).
    public var classes: Int

    /// A configuration as given; traps unless there is one width per stage. Values from a user go through `validate()`.
    public init(
        name: String, block: BlockKind, blocksPerStage: [Int], widths: [Int], stem: Stem, stemWidth: Int,
        inputChannels: Int = 3, classes: Int = 10
    ) {
        precondition(
            blocksPerStage.count == widths.count && !widths.isEmpty,
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
    public static let knownNames = [
        "resnet8", "resnet14", "resnet20", "resnet32", "resnet56",
        "resnet18", "resnet34", "resnet50",
    ]

    /// A preset by name: the CIFAR family `resnet{6n+2}` (BasicBlocks, 3 stages, widths
    /// 16/32/64 by default, 3x3 stem) or torchvision's `resnet18/34/50` (widths 64/128/256/512
    /// by default, 7x7 stem with max pool unless `stem` says otherwise). `widths` replaces the
    /// stage widths (one per stage, e.g. 8/16/32/64 for a narrow ResNet-18); nil when they do not fit.
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
    public var featureChannels: Int {
        guard let last = widths.last else {
            preconditionFailure("ResNetConfiguration \(name): no stages (widths is empty)")
        }
        return last * (block == .bottleneck ? Bottleneck.expansion : 1)
    }

    /// Checks every number against `Limits` (and sense: positive widths, at least 2 classes). Everything read from a
    /// file or a flag goes through here before a model is built from it.
    public func validate() throws {
        func fail(_ reason: String) -> ResNetConfigurationError { .invalid(name: name, reason: reason) }
        guard !widths.isEmpty, widths.count <= Limits.stages else {
            throw fail("it has \(widths.count) stages; 1...\(Limits.stages) are supported")
        }
        guard blocksPerStage.count == widths.count else {
            throw fail("it gives \(blocksPerStage.count) block counts for \(widths.count) stage widths")
        }
        if let bad = blocksPerStage.first(where: { !(1...Limits.blocksPerStage).contains($0) }) {
            throw fail("a stage has \(bad) blocks; each needs 1...\(Limits.blocksPerStage)")
        }
        if let bad = (widths + [stemWidth]).first(where: { !(1...Limits.width).contains($0) }) {
            throw fail("a width is \(bad); widths must lie in 1...\(Limits.width)")
        }
        guard (1...Limits.inputChannels).contains(inputChannels) else {
            throw fail(
                "it takes \(inputChannels) input channels; 1...\(Limits.inputChannels) are supported (images: 1 or 3)")
        }
        guard (2...Limits.classes).contains(classes) else {
            throw fail("it has \(classes) classes; 2...\(Limits.classes) are supported")
        }
        let count = parameterCount
        guard count <= Limits.parameters else {
            throw fail("it would have \(count) parameters, more than the \(Limits.parameters) supported")
        }
    }

    /// Parameters of the model (weights, biases and BatchNorm affine terms), computed in
    /// floating point so that absurd configurations give a large number rather than an overflow.
    public var parameterCount: Int {
        func convolution(_ input: Double, _ output: Double, _ kernel: Double) -> Double {
            input * output * kernel * kernel + 2 * output
        }
        let expansion = Double(block == .bottleneck ? Bottleneck.expansion : 1)
        var total = convolution(Double(inputChannels), Double(stemWidth), stem == .small ? 3 : 7)
        var channels = Double(stemWidth)
        for (stage, (blocks, width)) in zip(blocksPerStage, widths).enumerated() {
            let planes = Double(width)
            let output = planes * expansion
            for index in 0..<blocks {
                if block == .basic {
                    total += convolution(channels, planes, 3) + convolution(planes, planes, 3)
                } else {
                    total +=
                        convolution(channels, planes, 1) + convolution(planes, planes, 3)
                        + convolution(planes, output, 1)
                }
                if index == 0 && (stage > 0 || channels != output) { total += convolution(channels, output, 1) }
                channels = output
            }
        }
        total += channels * Double(classes) + Double(classes)
        return total >= Double(Int.max / 2) ? Int.max / 2 : Int(total)
    }

    /// What differs from `other`, field by field ("widths [4, 8, 16] vs [16, 32, 64]; ..."), for messages.
    public func differences(from other: ResNetConfiguration) -> String {
        var parts: [String] = []
        func compare<T: Equatable>(_ label: String, _ a: T, _ b: T) {
            if a != b { parts.append("\(label) \(a) vs \(b)") }
        }
        compare("block", block.rawValue, other.block.rawValue)
        compare("blocks per stage", blocksPerStage, other.blocksPerStage)
        compare("widths", widths, other.widths)
        compare("stem", stem.rawValue, other.stem.rawValue)
        compare("stem width", stemWidth, other.stemWidth)
        compare("input channels", inputChannels, other.inputChannels)
        compare("classes", classes, other.classes)
        return parts.isEmpty ? "no difference" : parts.joined(separator: "; ")
    }

    enum CodingKeys: String, CodingKey {
        case name, block, blocksPerStage, widths, stem, stemWidth, inputChannels, classes
    }

    /// Decodes and validates: a configuration from a file is never trusted.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        block = try container.decode(BlockKind.self, forKey: .block)
        blocksPerStage = try container.decode([Int].self, forKey: .blocksPerStage)
        widths = try container.decode([Int].self, forKey: .widths)
        stem = try container.decode(Stem.self, forKey: .stem)
        stemWidth = try container.decode(Int.self, forKey: .stemWidth)
        inputChannels = try container.decode(Int.self, forKey: .inputChannels)
        classes = try container.decode(Int.self, forKey: .classes)
        try validate()  // a ResNetConfigurationError reaches the caller of the decoder unchanged
    }
}

/// An architecture that cannot be built; the message says which number is wrong and what is allowed.
public enum ResNetConfigurationError: Error, LocalizedError, Equatable {
    case invalid(name: String, reason: String)

    /// "architecture NAME: reason", naming the number that is wrong and what is allowed.
    public var errorDescription: String? {
        switch self {
        case .invalid(let name, let reason): return "architecture \(name): \(reason)"
        }
    }
}
