import ArgumentParser
import Foundation
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeMPI
import TransferscopeNN
import TransferscopeOptimizers
import TransferscopeTraining

/// `transferscope train`: pre-train, fine-tune (--init) or train from scratch.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a ResNet: pre-train on a source, fine-tune a checkpoint (--init), or train from scratch.",
        discussion: """
            The run directory gets config.json, run.json, metrics.jsonl, checkpoints/epoch-NNNN.safetensors \
            at --checkpoint-epochs, final.safetensors and summary.json. Started again with the same \
            options, an interrupted run resumes from its last completed epoch and ends with the same \
            weights as an uninterrupted one.

            Examples:
              transferscope train --data fashion-mnist --model resnet20 --epochs 10 --checkpoint-epochs all --out runs/P
              transferscope train --data clipart --init runs/P/final.safetensors --lr 0.02 --out runs/PT-clipart-s0
              transferscope train --data clipart --normalization runs/P/final.safetensors --size 28 --channels 1 --out \
              runs/RIT-clipart-s0
            """)

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var shuffle: ShuffleOptions

    @Option(help: "Directory of the run.")
    var out: String

    @Option(
        help:
            """
            Architecture (ignored with --init, which keeps the checkpoint's): \
            \(ResNetConfiguration.knownNames.joined(separator: ", ")).
            """
    )
    var model = "resnet20"

    @Option(parsing: .unconditional, help: "Comma-separated stage widths (default: the architecture's).")
    var widths: CommaList<Int>?

    @Option(
        help:
            """
            Fine-tune from this checkpoint: all but the head is loaded; the head is re-initialized (seeded) for the \
            data's classes.
            """
    )
    var `init`: String?

    @Option(
        help:
            """
            Comma-separated modules whose parameters stay fixed (stem, layerS.B, fc), e.g. a linear probe freezes all \
            but fc. Their BatchNorm running statistics still follow the target data, as in PyTorch train mode.
            """
    )
    var freeze: CommaList<String>?

    @Option(
        parsing: .unconditional,
        help: "Image side given to the model (default: the --init checkpoint's, else the data's).")
    var size: Int?

    @Option(
        parsing: .unconditional,
        help: "Channels given to the model, 1 or 3 (default: the --init checkpoint's, else the data's).")
    var channels: Int?

    @Option(
        help:
            """
            Normalization statistics: 'dataset' (this training split's), 'none', or a checkpoint whose statistics to \
            reuse (default: the --init checkpoint's, else 'dataset').
            """
    )
    var normalization: String?

    @Option(parsing: .unconditional, help: "Epochs of training.")
    var epochs = 10

    @Option(parsing: .unconditional, help: "Images per batch.")
    var batchSize = 128

    @Option(parsing: .unconditional, help: "Base learning rate.")
    var lr = 0.1

    @Option(help: "Learning-rate schedule: constant, step (x --gamma at --milestones) or cosine.")
    var schedule = ScheduleName.cosine

    @Option(
        parsing: .unconditional,
        help:
            """
            Comma-separated epochs where the step schedule multiplies the rate by --gamma (default: half and three \
            quarters of --epochs).
            """
    )
    var milestones: CommaList<Int>?

    @Option(parsing: .unconditional, help: "Factor of the step schedule.")
    var gamma = 0.1

    @Option(parsing: .unconditional, help: "Epochs of linear learning-rate warm-up.")
    var warmupEpochs = 0.0

    @Option(parsing: .unconditional, help: "SGD momentum.")
    var momentum: Float = 0.9

    @Option(parsing: .unconditional, help: "Weight decay (L2, on all parameters, as PyTorch's SGD).")
    var weightDecay: Float = 1e-4

    @Flag(help: "Nesterov momentum.")
    var nesterov = false

    @Option(parsing: .unconditional, help: "Padding of the random crop (0: no crop).")
    var cropPadding = 4

    @Flag(help: "No random crop.")
    var noCrop = false

    @Flag(help: "No horizontal flip.")
    var noFlip = false

    @Option(
        parsing: .unconditional,
        help: "Seed of data order and augmentation, and of the initialization unless --init-seed is given.")
    var seed: UInt64 = 0

    @Option(
        name: .customLong("init-seed"), parsing: .unconditional,
        help:
            """
            Seed of the random initialization alone (with --init: of the new head); runs that share it start from \
            the same weights whatever their --seed (default: --seed).
            """
    )
    var initSeed: UInt64?

    @Option(
        parsing: .unconditional,
        help:
            """
            Epochs whose checkpoint is kept: comma-separated (0 = the starting point) or 'all'; the final model is \
            always kept.
            """
    )
    var checkpointEpochs = ListOrAll<Int>.list([0])

    @Option(parsing: .unconditional, help: "Keep at most this many training images per class (few-shot).")
    var perClass: Int?

    @Option(parsing: .unconditional, help: "Keep this many training images (stratified).")
    var subsample: Int?

    @Option(
        parsing: .unconditional,
        help:
            """
            Seed that picks the --per-class and --subsample images (default: --seed; a study uses 0 so all its runs of \
            a target see the same images).
            """
    )
    var selectionSeed: UInt64?

    @Option(parsing: .unconditional, help: "Training images evaluated after each epoch (0: none).")
    var trainEvalSize = 2000

    @Option(parsing: .unconditional, help: "A metrics line every this many steps.")
    var logEvery = 50

    @Option(
        parsing: .unconditional,
        help: "Worker threads (default: TRANSFERSCOPE_THREADS or all cores); part of what makes a run repeatable.")
    var threads: Int?

    @Flag(help: "Discard an earlier run in --out instead of resuming it.")
    var restart = false

    func validate() throws {
        try FlagCheck.require(epochs, in: FlagCheck.epochs, "--epochs")
        try FlagCheck.require(batchSize, in: 2...Limits.images, "--batch-size")
        try FlagCheck.requirePositive(lr, "--lr")
        try FlagCheck.require(gamma, in: 0...1_000, "--gamma", positive: true)
        try FlagCheck.require(warmupEpochs, in: 0...Double(epochs), "--warmup-epochs")
        try FlagCheck.require(momentum, in: 0...0.999_999, "--momentum")
        try FlagCheck.require(weightDecay, in: 0...1, "--weight-decay")
        if let channels, ![1, 3].contains(channels) {
            throw ValidationError("--channels must be 1 or 3, got \(channels)")
        }
        try FlagCheck.require(size, in: FlagCheck.imageSide, "--size")
        try FlagCheck.require(threads, in: FlagCheck.threads, "--threads")
        try FlagCheck.require(cropPadding, in: 0...Limits.imageSide, "--crop-padding")
        try FlagCheck.require(perClass, in: FlagCheck.images, "--per-class")
        try FlagCheck.require(subsample, in: FlagCheck.images, "--subsample")
        try FlagCheck.require(trainEvalSize, in: 0...Limits.images, "--train-eval-size")
        try FlagCheck.require(logEvery, in: 1...Int(Int32.max), "--log-every")
        try FlagCheck.require(milestones, in: 1...epochs, "--milestones")
        try FlagCheck.require(widths, in: 1...Limits.width, "--widths")
        if case .list(let values) = checkpointEpochs {
            try FlagCheck.require(CommaList(values), in: 0...epochs, "--checkpoint-epochs")
        }
    }

    func run() throws {
        try Parallel.withWorkers(threads ?? Parallel.workerCount) { try perform() }
    }

    /// The command's work, under its worker count.
    func perform() throws {
        let source = try `init`.map(SourceCheckpoint.init)
        // Under mpirun the run is split over the processes; rank 0 prepares a built-in dataset
        // not prepared yet while the others wait, then they read it.
        let group = try MPIProcessGroup.world().flatMap { $0.size > 1 ? $0 : nil }
        if let group, !group.isWriter { group.barrier() }
        let (_, splits) = try dataOptions.load(modelSide: size ?? source?.preprocessing.side)
        if let group, group.isWriter { group.barrier() }
        var setup = TrainingSetup(
            start: source.map { .checkpoint($0) } ?? .named(model: model, widths: widths?.values),
            dataset: dataOptions.data,
            epochs: epochs,
            learningRate: .named(
                schedule, base: lr, epochs: epochs, milestones: milestones?.values, gamma: gamma,
                warmupEpochs: warmupEpochs),
            threads: threads ?? Parallel.workerCount, batchSize: batchSize,
            optimizer: .init(momentum: momentum, weightDecay: weightDecay, nesterov: nesterov),
            augmentation: Augmentation(padding: noCrop ? 0 : cropPadding, horizontalFlip: !noFlip), seed: seed,
            checkpointEpochs: Array(Set(checkpointEpochs.values(all: Array(0...epochs)))).sorted(),
            selection: TrainingSelection(perClass: perClass, subsample: subsample, seed: selectionSeed),
            trainEvaluationSize: trainEvalSize, logEvery: logEvery)
        setup.initializationSeed = initSeed
        setup.side = size
        setup.channels = channels
        setup.frozenModules = freeze?.values ?? []
        switch normalization {
        case nil: setup.statistics = nil
        case "dataset"?: setup.statistics = .dataset
        case "none"?: setup.statistics = TrainingSetup.InputStatistics.none
        case let path?: setup.statistics = .checkpoint(try SourceCheckpoint(path))
        }
        setup.shuffle = { side, channels in try shuffle.shuffle(side: side, channels: channels) }
        let configuration = try setup.configuration(for: splits)
        let trainer = Trainer(configuration: configuration, directory: out)
        // Rank 0 shows the progress and writes.
        trainer.processGroup = group
        let display = ProgressDisplay()
        if group?.isWriter ?? true { trainer.onEvent = display.handle }
        let summary = try trainer.run(data: splits, restart: restart)
        guard group?.isWriter ?? true else { return }
        print(
            String(
                format: "%@: test accuracy %.2f%%, final model %@/%@", out, 100 * summary.finalTestAccuracy, out,
                summary.finalCheckpoint))
    }
}
