import ArgumentParser
import Foundation
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeIO
import TransferscopeNN

/// `transferscope model ...`: create, inspect and run checkpoints.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Create, inspect and run model checkpoints.",
        subcommands: [Init.self, Inspect.self, Forward.self])

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
