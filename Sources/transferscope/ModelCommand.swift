import ArgumentParser
import Foundation
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeTraining

/// `transferscope model ...`: create, inspect and run checkpoints.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Create, inspect and run model checkpoints.",
        subcommands: [Init.self, Import.self, Inspect.self, Forward.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a freshly initialized model (torchvision's initialization) as a checkpoint.",
            discussion: "Example: transferscope model init resnet20 --seed 1 --out ri.safetensors")

        @OptionGroup var architecture: ArchitectureOptions

        @Option(parsing: .unconditional, help: "Seed of the initialization.")
        var seed: UInt64 = 0

        @Option(help: "Path of the checkpoint to write (.safetensors).")
        var out: String

        func run() throws {
            var generator = RandomGenerator(seed: seed)
            let model = ResNet(try architecture.configuration(), generator: &generator)
            try Checkpoint.save(model, to: out, metadata: ["transferscope.seed": String(seed)])
            print("wrote \(out): \(model.configuration.name), \(model.parameterCount) parameters")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a PyTorch ResNet state dict (.pth/.pt from torch.save, or .safetensors) as a checkpoint.",
            discussion: """
                The architecture is read from the keys and shapes (torchvision's resnet18/34/50 at any widths, the \
                CIFAR family, any stem width and classes); a `module.` prefix (nn.DataParallel) is removed; the \
                weights load strictly. The file's pickle is never run: only tensors, storages and OrderedDict are \
                admitted, as torch.load(weights_only=True) admits them. The input the model expects is recorded: \
                --size and --normalization (imagenet: torchvision's mean and std).
                Example: transferscope model import resnet50.pth --size 224 --normalization imagenet \
                --out resnet50.safetensors
                """)

        @Argument(help: "The state dict: a .pth/.pt file written by torch.save, or a .safetensors file.")
        var file: String

        @Option(parsing: .unconditional, help: "Side of the square images the model takes (torchvision: 224).")
        var size: Int

        @Option(
            help: ArgumentHelp(
                "The input normalization: 'imagenet' (torchvision's mean 0.485,0.456,0.406 and std "
                    + "0.229,0.224,0.225), 'none', or 'MEAN,...:STD,...' (one per channel, on [0, 1] pixels).",
                valueName: "imagenet|none|means:stds"))
        var normalization: String

        @Option(
            help: "The architecture it must be (resnet18, resnet50, resnet20, ...); default: as read from the file.")
        var model: String?

        @Option(help: "The stage widths it must have, comma-separated; default: as read from the file.")
        var widths: CommaList<Int>?

        @Option(help: "Path of the checkpoint to write (.safetensors).")
        var out: String

        func validate() throws {
            try FlagCheck.require(size, in: FlagCheck.imageSide, "--size")
        }

        func run() throws {
            let imported = try ModelImport.run(
                file, out: out, side: size, normalization: try Self.normalization(normalization), model: model,
                widths: widths?.values)
            let c = imported.model.configuration
            print(
                "wrote \(out): \(c.name) (\(c.block.rawValue) blocks \(c.blocksPerStage), widths \(c.widths), "
                    + "\(c.stem.rawValue) stem), \(c.classes) classes, \(imported.model.parameterCount) parameters; "
                    + "input \(size)x\(size)x\(c.inputChannels), normalization \(normalization)"
                    + (imported.hadModulePrefix ? "; the keys' `module.` prefix was removed" : ""))
        }

        /// `imagenet`, `none` (nil: no change for any channel count) or `MEANS:STDS`.
        static func normalization(_ text: String) throws -> Normalization? {
            switch text {
            case "imagenet": return ModelImport.imagenetNormalization
            case "none": return nil
            default:
                let parts = text.split(separator: ":", omittingEmptySubsequences: false)
                let numbers = parts.map {
                    $0.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
                }
                guard parts.count == 2, numbers.allSatisfy({ !$0.isEmpty && !$0.contains(nil) }),
                    numbers[0].count == numbers[1].count
                else {
                    throw ValidationError(
                        "--normalization \(text): give imagenet, none, or as many means as deviations, MEANS:STDS, "
                            + "such as 0.5,0.5,0.5:0.25,0.25,0.25")
                }
                let normalization = Normalization(
                    mean: numbers[0].compactMap { $0 }, standardDeviation: numbers[1].compactMap { $0 })
                do { try normalization.validate() } catch {
                    throw ValidationError("--normalization \(text): \(error.localizedDescription)")
                }
                return normalization
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a checkpoint's architecture, metadata and the parameters of each module.",
            discussion: "Example: transferscope model inspect ri.safetensors")

        @Argument(help: "A Transferscope checkpoint (.safetensors).")
        var checkpoint: String

        func run() throws {
            let file = try SafeTensors(contentsOf: checkpoint)
            let model = try Checkpoint.loadModel(from: checkpoint)
            let c = model.configuration
            print(
                "\(checkpoint): \(c.name) (\(c.block.rawValue) blocks \(c.blocksPerStage), widths \(c.widths), "
                    + "\(c.stem.rawValue) stem), \(c.inputChannels) input channels, \(c.classes) classes, "
                    + "\(model.parameterCount) parameters"
            )
            for (name, state) in model.modules {
                let count = state.parameters.reduce(0) { $0 + $1.parameter.value.count }
                print("  \(name.padded(to: 10)) \(count) parameters")
            }
            for (key, value) in file.metadata.sorted(by: { $0.key < $1.key }) where !key.hasPrefix("transferscope.arch")
            {
                print("  metadata \(key) = \(value)")
            }
        }
    }

    struct Forward: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a checkpoint on a batch of images and write the logits.",
            discussion: """
                The input is a safetensors file with an F32 tensor `input` of shape [N, C, H, W] \
                (PyTorch's layout); the output holds `logits` [N, classes].
                Example: transferscope model forward ri.safetensors --input x.safetensors --out logits.safetensors
                """)

        @Argument(help: "A Transferscope checkpoint (.safetensors).")
        var checkpoint: String

        @Option(help: "safetensors file with the `input` tensor [N, C, H, W].")
        var input: String

        @Option(help: "Path of the safetensors file to write with `logits`.")
        var out: String

        @Flag(help: "Use training mode (batch statistics) instead of evaluation mode.")
        var train = false

        func run() throws {
            let model = try Checkpoint.loadModel(from: checkpoint)
            let file = try SafeTensors(contentsOf: input)
            guard let (shape, values) = file.floats("input"), shape.count == 4 else {
                throw RunError("\(input) needs an F32 tensor named 'input' with shape [N, C, H, W]")
            }
            guard shape[1] == model.configuration.inputChannels else {
                throw RunError(
                    "\(input): input has \(shape[1]) channels but the model expects "
                        + "\(model.configuration.inputChannels)"
                )
            }
            guard shape[0] >= (train ? 2 : 1), (1...Limits.imageSide).contains(shape[2]),
                (1...Limits.imageSide).contains(shape[3])
            else {
                throw RunError(
                    "\(input): input has shape \(shape); give at least \(train ? 2 : 1) image(s) (--train needs "
                        + "a batch) of 1...\(Limits.imageSide) pixels a side"
                )
            }
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw RunError("\(input): input value \(index) is \(values[index]); inputs must be finite")
            }
            let images = Tensor(shape: shape, scalars: values).nchwToNHWC()
            let logits = train ? model.forward(images, training: true) : model.inference(images)
            try SafeTensors(entries: ["logits": .float32(shape: logits.shape, values: logits.scalars)]).write(to: out)
            print("wrote \(out): logits \(logits.shape)")
        }
    }
}
