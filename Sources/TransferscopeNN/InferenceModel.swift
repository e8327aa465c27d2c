import Foundation
import TransferscopeCore
import TransferscopeIO

/// The forward pass that evaluation-mode work (evaluation, the analyses, feature extraction) takes.
public enum InferencePath: String, Sendable, CaseIterable {
    /// BatchNorm folded into the convolutions, bias, residual and ReLU applied in the convolution's
    /// own pass, nothing kept for a backward pass, and each worker carrying a chunk of a few images
    /// at a time through the whole network, so that activations stay in cache (the default).
    case folded
    /// The training graph in evaluation mode, layer by layer over the whole batch
    /// (`ResNet.forward(_:training: false, ...)`): the reference the folded path is tested against.
    case reference

    /// The default: `folded`, or `reference` where `TRANSFERSCOPE_INFERENCE=reference` (for comparisons).
    public static let automatic: InferencePath =
        ProcessInfo.processInfo.environment["TRANSFERSCOPE_INFERENCE"] == "reference" ? .reference : .folded

    /// The path for inference models built in this task (`$current.withValue` scopes a choice).
    @TaskLocal public static var current = automatic
}

/// A ResNet frozen for inference: a snapshot of a model's weights and running statistics, taken
/// when it is built, that computes evaluation-mode logits and activations (PyTorch's
/// `model.eval()` under `torch.no_grad()`), through `InferencePath.current`'s path.
///
/// Folding: in evaluation mode BatchNorm is the affine map y = x * s + t per channel, with
/// s = gamma / sqrt(var + eps) and t = beta - mean * s; after a bias-free convolution it is the
/// convolution with weight W * s (each output channel scaled) and bias t. The folded model
/// computes the same function; its results differ from the reference only by rounding.
///
/// Build it after the weights are final and again whenever they change: it does not follow the
/// model. Like a layer, it serves one call at a time (its workers' buffers are reused across calls).
public final class InferenceModel {
    /// The model as it was when this snapshot was taken (the reference path runs it).
    public let model: ResNet
    /// The path `logits` and `forward` take.
    public let path: InferencePath
    /// Bytes of the largest activation of a chunk, the images a worker carries through the network
    /// at once, so that its activations stay in cache (see `chunkSize`).
    public static let chunkBytes = 512 * 1024

    let stem: FoldedConvolution
    let maxPool: MaxPool2d?
    let blocks: [FoldedBlock]
    let head: (weight: Tensor, bias: Tensor)
    private let spaces = SlotArray<InferenceSpace?>(count: Limits.threads, initial: nil)

    /// A snapshot of `model` for inference through `path`.
    public init(_ model: ResNet, path: InferencePath = .current) {
        self.model = model
        self.path = path
        stem = FoldedConvolution(model.conv1, model.bn1)
        maxPool = model.maxPool
        var blocks = model.blockNames.map { name, block in FoldedBlock(name: name, block) }
        for i in blocks.indices {
            blocks[i].endsStage = i == blocks.count - 1 || blocks[i + 1].stageName != blocks[i].stageName
        }
        self.blocks = blocks
        let (weight, bias) = (model.fc.weight.value, model.fc.bias.value)
        head = (Tensor(shape: weight.shape, scalars: weight.scalars), Tensor(shape: bias.shape, scalars: bias.scalars))
    }

    /// Evaluation-mode logits [N, classes] of input [N, H, W, C_in].
    public func logits(_ input: Tensor) -> Tensor { forward(input, capturing: []).logits }

    /// The logits and the activations named in `names` (see `ResNet.activationNames`), as
    /// `ResNet.forward(_:training: false, capturing:)` returns them.
    public func forward(_ input: Tensor, capturing names: Set<String>) -> (
        logits: Tensor, activations: [String: Tensor]
    ) {
        if path == .reference {
            return model.forward(input, training: false, capturing: names, keepingForBackward: false)
        }
        return run(input, from: 0, capturing: names)
    }

    /// The logits from `input`, the activation entering module `module` of `ResNet.modules` (0: the
    /// images, for the stem; b in 1...blocks: block b's input, [N, H, W, C]; blocks + 1: the pooled
    /// features [N, C], for the head). Analyses that vary one module evaluate the modules before it
    /// once (capture their output) and run only the rest. With `chunk`, that of the images'
    /// `chunkSize`, the result has the same bits as the whole forward pass from the images.
    public func logits(_ input: Tensor, from module: Int, chunk: Int? = nil) -> Tensor {
        precondition((0...blocks.count + 1).contains(module), "InferenceModel: no module \(module)")
        if path == .reference {
            precondition(module == 0, "InferenceModel: the reference path starts from the images only")
            return logits(input)
        }
        return run(input, from: module, capturing: [], chunk: chunk).logits
    }

    /// Images a worker carries through the network at once, for images of height x width: as many
    /// as keep the largest activation within `chunkBytes`, but enough for `minimumRows` output
    /// pixels in the smallest layer (an sgemm call packs its whole weight matrix, which for
    /// ResNet-18's last stage, 4608 x 512, costs more than two images' multiply-adds).
    public func chunkSize(height: Int, width: Int) -> Int {
        Self.chunkSize(
            shapes: activationShapes(height: height, width: width),
            inputFloats: height * width * model.configuration.inputChannels)
    }

    /// Output pixels of the smallest layer a chunk should hold (see `chunkSize`).
    public static let minimumRows = 512

    static func chunkSize(shapes: [String: [Int]], inputFloats: Int) -> Int {
        let largest = max(shapes.values.map { $0.reduce(1, *) }.max() ?? 1, inputFloats)
        let smallestPixels = shapes.values.filter { $0.count == 3 }.map { $0[0] * $0[1] }.min() ?? minimumRows
        let size = max(1, chunkBytes / (4 * largest), (minimumRows + smallestPixels - 1) / max(smallestPixels, 1))
        // A power of two: a batch of 32 or 256 then falls into a power-of-two number of chunks,
        // which 2, 4 or 8 workers share evenly (11-image chunks of ImageNet-size ResNets left
        // one of two workers with 22 images of 32, the other 10).
        return 1 << (Int.bitWidth - 1 - size.leadingZeroBitCount)
    }

    /// The shape of one image's activation `name` (see `ResNet.activationNames`) for images of
    /// height x width, without running the network; nil for an unknown name.
    public func activationShape(_ name: String, height: Int, width: Int) -> [Int]? {
        activationShapes(height: height, width: width)[name]
    }

    /// The name under `ResNet.activationNames` of the activation entering module `module` (the
    /// output of the module before it), or nil for the stem, whose input is the images.
    public func inputName(ofModule module: Int) -> String? {
        switch module {
        case 0: nil
        case 1: "stem"
        case blocks.count + 1: "pool"
        default: blocks[module - 2].name
        }
    }

    /// The folded forward pass from module `module`, in chunks shared out over the workers.
    private func run(_ input: Tensor, from module: Int, capturing names: Set<String>, chunk: Int? = nil) -> (
        logits: Tensor, activations: [String: Tensor]
    ) {
        precondition(
            names.isSubset(of: Set(model.activationNames)),
            "InferenceModel.forward: unknown activation names \(names.subtracting(model.activationNames).sorted())")
        precondition(module == 0 || names.isEmpty, "InferenceModel: activations are captured from the images only")
        let c = model.configuration
        let entering =
            module == 0 ? c.inputChannels : module == 1 ? stem.outputChannels : blocks[module - 2].outputChannels
        let pooled = module == blocks.count + 1
        precondition(
            (pooled ? input.shape.count == 2 : input.shape.count == 4) && input.shape.last == entering,
            "InferenceModel: module \(module) takes [N, \(pooled ? "" : "H, W, ")\(entering)], got \(input.shape)")
        let n = input.shape[0]
        let (height, width) = pooled ? (1, 1) : (input.shape[1], input.shape[2])
        let shapes = activationShapes(from: module, height: height, width: width)
        // Raw pointers taken once, here: the workers write disjoint rows of each.
        var captured: [String: Tensor] = [:]
        var targets: [String: UncheckedPointer] = [:]
        for name in names {
            var tensor = Tensor(uninitializedShape: [n] + shapes[name, default: []])
            targets[name] = UncheckedPointer(tensor.unsafeMutablePointer)
            captured[name] = tensor
        }
        var logits = Tensor(uninitializedShape: [n, c.classes])
        let largest = max(shapes.values.map { $0.reduce(1, *) }.max() ?? 1, input.count / max(n, 1))
        let plan = ForwardPlan(
            input: input.unsafePointer, module: module, height: height, width: width, channels: entering,
            logits: logits.unsafeMutablePointer, captures: targets, shapes: shapes,
            chunk: chunk ?? Self.chunkSize(shapes: shapes, inputFloats: input.count / max(n, 1)), largest: largest)
        // Workers take whole chunks as they come free, cut at fixed multiples of the chunk size:
        // every chunk is computed alike whatever the worker and the worker count, so the results
        // depend on neither. Each worker runs the caller's kernel choice (`Parallel` carries it over).
        Parallel.forEachChunk(of: (n + plan.chunk - 1) / plan.chunk) { worker, chunk in
            let space = spaces[worker] ?? InferenceSpace()
            spaces[worker] = space
            run(plan, images: (chunk * plan.chunk)..<min((chunk + 1) * plan.chunk, n), space: space)
        }
        return (logits, captured)
    }

    /// The shape of one image's activation under each name of `ResNet.activationNames` computed
    /// from module `module` on (its input height x width), with the stem's convolution output as
    /// `stem.conv` (the largest activation of an ImageNet stem, before its max pool).
    func activationShapes(from module: Int = 0, height: Int, width: Int) -> [String: [Int]] {
        var (h, w) = (height, width)
        var shapes: [String: [Int]] = [:]
        var channels =
            module == 1
            ? stem.outputChannels : module > 1 ? blocks[min(module, blocks.count + 1) - 2].outputChannels : 0
        if module == 0 {
            (h, w) = (stem.outputSide(height), stem.outputSide(width))
            shapes["stem.conv"] = [h, w, stem.outputChannels]
            if let maxPool { (h, w) = (maxPool.outputSide(h), maxPool.outputSide(w)) }
            shapes["stem"] = [h, w, stem.outputChannels]
            channels = stem.outputChannels
        }
        for block in blocks.dropFirst(max(module - 1, 0)) where module <= blocks.count {
            (h, w) = (block.outputSide(h), block.outputSide(w))
            channels = block.outputChannels
            shapes[block.name] = [h, w, channels]
            shapes[block.stageName] = [h, w, channels]
        }
        shapes["pool"] = [channels]
        shapes["fc"] = [model.configuration.classes]
        return shapes
    }

    /// Carries `images` from the plan's module through the rest of the network on the calling worker.
    private func run(_ plan: ForwardPlan, images: Range<Int>, space: InferenceSpace) {
        let count = images.count
        let size = plan.chunk * plan.largest
        var x = space.buffers[0].floats(size)
        var next = space.buffers[1].floats(size)
        let hidden = space.buffers[2].floats(size)
        let hidden2 = space.buffers[3].floats(size)
        let shortcut = space.buffers[4].floats(size)
        var (h, w, channels) = (plan.height, plan.width, plan.channels)
        let imageSize = plan.module == blocks.count + 1 ? channels : h * w * channels
        var current = plan.input + images.lowerBound * imageSize
        if plan.module == 0 {
            (h, w) = stem.run(
                input: current, batch: count, height: h, width: w, output: x, residual: nil, relu: true,
                workspace: space.workspace)
            if let maxPool {
                let (oh, ow) = (maxPool.outputSide(h), maxPool.outputSide(w))
                Pooling.maxForward(
                    output: next, input: x, batch: count, height: h, width: w,
                    channels: stem.outputChannels, kernelSize: maxPool.kernelSize, stride: maxPool.stride,
                    padding: maxPool.padding)
                swap(&x, &next)
                (h, w) = (oh, ow)
            }
            plan.capture("stem", from: x, images: images)
            current = UnsafePointer(x)
            channels = stem.outputChannels
        }
        for block in blocks.dropFirst(max(plan.module - 1, 0)) where plan.module <= blocks.count {
            (h, w) = block.run(
                input: current, batch: count, height: h, width: w, output: next, hidden: hidden, hidden2: hidden2,
                shortcut: shortcut, workspace: space.workspace)
            swap(&x, &next)
            current = UnsafePointer(x)
            channels = block.outputChannels
            plan.capture(block.name, from: x, images: images)
            if block.endsStage { plan.capture(block.stageName, from: x, images: images) }
        }
        var features = current
        if plan.module <= blocks.count {
            let pooled = plan.captures["pool"].map { $0.pointer + images.lowerBound * channels } ?? hidden
            Pooling.averageForward(output: pooled, input: current, batch: count, pixels: h * w, channels: channels)
            features = UnsafePointer(pooled)
        }
        let classes = model.configuration.classes
        let y = plan.logits + images.lowerBound * classes
        for row in 0..<count { (y + row * classes).update(from: head.bias.unsafePointer, count: classes) }
        BLAS.sgemm(
            transposeA: false, transposeB: true, m: count, n: classes, k: channels, a: features, lda: channels,
            b: head.weight.unsafePointer, ldb: channels, beta: 1, c: y, ldc: classes)
        plan.capture("fc", from: y, images: images)
    }
}

/// Where one forward pass reads its input and writes its results, shared by its workers.
private struct ForwardPlan: @unchecked Sendable {
    /// The activation entering `module`, [N, height, width, channels] ([N, channels] for the head).
    let input: UnsafePointer<Float>
    let module: Int
    let height: Int
    let width: Int
    let channels: Int
    let logits: UnsafeMutablePointer<Float>
    let captures: [String: UncheckedPointer]
    let shapes: [String: [Int]]
    /// Images per chunk.
    let chunk: Int
    /// Floats of the largest activation of one image (the size of each buffer per image).
    let largest: Int

    /// Copies the chunk's activation `name` into the captured tensor's rows, if it was asked for.
    func capture(_ name: String, from source: UnsafePointer<Float>, images: Range<Int>) {
        guard let target = captures[name], let shape = shapes[name] else { return }
        let size = shape.reduce(1, *)
        let destination = target.pointer + images.lowerBound * size
        if destination != UnsafeMutablePointer(mutating: source) {
            destination.update(from: source, count: images.count * size)
        }
    }
}

/// A pointer handed to parallel workers that write disjoint parts of what it points to.
struct UncheckedPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}

/// One worker's buffers: convolution scratch and five activation buffers, grown once and reused.
private final class InferenceSpace: @unchecked Sendable {
    let workspace = Workspace()
    let buffers = (0..<5).map { _ in ScratchBuffer() }
}
