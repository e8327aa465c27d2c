import Foundation
import TransferscopeCheckpoints
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeOptimizers

/// The one builder of a run's `TrainingConfiguration` from what a user asks for: where the
/// model starts, how inputs are prepared, and the optimization. `transferscope train`, a study's
/// pre-training of P and every P-T / RI-T run (through `TransferRecipe`) build their
/// configurations here, so the same settings give the same `config.json` on every path.
public struct TrainingSetup {
    /// Where the model's weights start.
    public enum Start: Sendable, Equatable {
        /// A random initialization of a named architecture (`ResNetConfiguration.knownNames`),
        /// optionally with its stage widths; input channels and classes come from the data.
        case named(model: String, widths: [Int]?)
        /// A random initialization of this architecture (its head resized to the data's classes).
        case architecture(ResNetConfiguration)
        /// Fine-tuning: all but the head loaded from the checkpoint, the head seeded for the data's classes.
        case checkpoint(SourceCheckpoint)
    }

    /// Where the input normalization's per-channel mean and standard deviation come from.
    public enum InputStatistics: Sendable, Equatable {
        /// Those of the run's own training images (after selection), as prepared for the model.
        case dataset
        /// No normalization (mean 0, std 1).
        case none
        /// Those recorded in a checkpoint, so that P-T and RI-T see P's inputs.
        case checkpoint(SourceCheckpoint)
    }

    /// Where the model starts.
    public var start: Start
    /// The `--data` text the dataset came from (recorded in config.json).
    public var dataset: String
    /// Image side given to the model (nil: the start checkpoint's, else the data's largest side).
    public var side: Int?
    /// Channels given to the model, 1 or 3 (nil: the start checkpoint's, else the data's).
    public var channels: Int?
    /// The normalization statistics (nil: the start checkpoint's, else the training images').
    public var statistics: InputStatistics?
    /// The block or pixel shuffle of the inputs, made once side and channels are known (nil: none).
    public var shuffle: ((_ side: Int, _ channels: Int) throws -> BlockShuffle?)?
    /// Epochs of training.
    public var epochs: Int
    /// Images per batch.
    public var batchSize: Int
    /// The learning rate over the epochs.
    public var learningRate: LearningRateSchedule
    /// SGD's momentum, weight decay and Nesterov flag.
    public var optimizer: SGD.Hyperparameters
    /// Random crop and flip of training images (ignored, and recorded as none, when inputs are shuffled).
    public var augmentation: Augmentation
    /// Seed of data order and augmentation, and of initialization unless `initializationSeed` is set.
    public var seed: UInt64
    /// Seed of the random initialization (and a fine-tuned model's new head) alone, or nil for `seed`.
    public var initializationSeed: UInt64?
    /// Epochs whose checkpoint is kept (0 = the start); the final model is always kept.
    public var checkpointEpochs: [Int]
    /// Modules (`stem`, `layerS.B`, `fc`) whose parameters stay fixed.
    public var frozenModules: [String]
    /// Which training images the run uses (few-shot, subsample) and the seed that picks them.
    public var selection: TrainingSelection
    /// Training images evaluated after every epoch (0: none).
    public var trainEvaluationSize: Int
    /// A metrics line every this many steps.
    public var logEvery: Int
    /// Worker threads (the same seed and count give the same bits).
    public var threads: Int

    /// A setup with the trainer's defaults for everything but the start, the data's name, the
    /// length and rate of training and the threads.
    public init(
        start: Start, dataset: String, epochs: Int, learningRate: LearningRateSchedule, threads: Int,
        batchSize: Int = 128, optimizer: SGD.Hyperparameters = .init(), augmentation: Augmentation = Augmentation(),
        seed: UInt64 = 0, checkpointEpochs: [Int] = [0], selection: TrainingSelection = TrainingSelection(),
        trainEvaluationSize: Int = 2000, logEvery: Int = 50
    ) {
        self.start = start
        self.dataset = dataset
        self.epochs = epochs
        self.learningRate = learningRate
        self.threads = threads
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.augmentation = augmentation
        self.seed = seed
        self.checkpointEpochs = checkpointEpochs
        self.frozenModules = []
        self.selection = selection
        self.trainEvaluationSize = trainEvaluationSize
        self.logEvery = logEvery
    }

    /// The configuration of this run on `data`; throws naming the setting when the data, the
    /// start and the input choices do not fit together.
    public func configuration(for data: DatasetSplits) throws -> TrainingConfiguration {
        let source: SourceCheckpoint? = if case .checkpoint(let checkpoint) = start { checkpoint } else { nil }
        let fixedArchitecture: ResNetConfiguration? =
            switch start {
            case .architecture(let architecture): architecture
            case .checkpoint(let checkpoint): checkpoint.architecture
            case .named: nil
            }
        let side = side ?? source?.preprocessing.side ?? max(data.train.height, data.train.width)
        let channels =
            channels ?? source?.preprocessing.channels ?? fixedArchitecture?.inputChannels ?? data.train.channels
        let classes = data.train.classNames.count
        var architecture: ResNetConfiguration
        switch start {
        case .named(let model, let widths):
            guard
                let named = ResNetConfiguration.named(model, inputChannels: channels, classes: classes, widths: widths)
            else {
                throw TrainingError.invalidConfiguration(
                    "unknown model '\(model)' or wrong number of widths \(widths ?? []); known: "
                        + ResNetConfiguration.knownNames.joined(separator: ", "))
            }
            architecture = named
        case .architecture(let given): architecture = given
        case .checkpoint(let checkpoint): architecture = checkpoint.architecture
        }
        architecture.classes = classes
        guard architecture.inputChannels == channels else {
            throw TrainingError.invalidConfiguration(
                "the model takes \(architecture.inputChannels) input channel(s) but the inputs are prepared with "
                    + "\(channels) (--channels)"
            )
        }
        let selected = selection.apply(to: data.train, runSeed: seed)
        let normalization: Normalization
        switch statistics ?? source.map { .checkpoint($0) } ?? .dataset {
        case .dataset:
            let plain = Preprocessing(side: side, channels: channels, normalization: .identity(channels: channels))
            try plain.checkSize(of: selected)
            normalization = .statistics(of: plain.converted(selected))
        case .none:
            normalization = .identity(channels: channels)
        case .checkpoint(let checkpoint):
            normalization = checkpoint.preprocessing.normalization
            guard normalization.mean.count == channels else {
                throw TrainingError.invalidConfiguration(
                    "\(checkpoint.path) records \(normalization.mean.count)-channel statistics; the run uses "
                        + "\(channels) channel(s)"
                )
            }
        }
        let shuffled = try shuffle?(side, channels)
        var configuration = TrainingConfiguration(
            architecture: architecture, dataset: dataset, trainPerClass: selection.perClass,
            trainSubsample: selection.subsample,
            preprocessing: Preprocessing(
                side: side, channels: channels, normalization: normalization, shuffle: shuffled),
            augmentation: shuffled == nil ? augmentation : .none, epochs: epochs, batchSize: batchSize,
            learningRate: learningRate, optimizer: optimizer, seed: seed, checkpointEpochs: checkpointEpochs,
            initialization: source?.path, frozenModules: frozenModules, trainEvaluationSize: trainEvaluationSize,
            logEvery: logEvery, threads: threads)
        // The seed matters only when images are selected; unrecorded otherwise, so runs that keep
        // every image have the same configuration whatever seed a caller would select with.
        if selection.perClass != nil || selection.subsample != nil { configuration.trainSelectionSeed = selection.seed }
        // Unrecorded when nil, so a run without it has the config.json it always had.
        configuration.initializationSeed = initializationSeed
        return configuration
    }
}

/// Which training images a run uses: at most `perClass` of every class (few-shot), then a
/// stratified `subsample`, both chosen by `seed` (nil: the run's seed). A study fixes the seed
/// at 0 so that every run and analysis of a target sees the same images.
public struct TrainingSelection: Codable, Sendable, Equatable {
    /// Images per class kept, or nil for all.
    public var perClass: Int?
    /// Training images kept (stratified), or nil for all.
    public var subsample: Int?
    /// The seed of the choice (nil: the run's seed).
    public var seed: UInt64?

    /// A selection; the defaults keep every image.
    public init(perClass: Int? = nil, subsample: Int? = nil, seed: UInt64? = nil) {
        self.perClass = perClass
        self.subsample = subsample
        self.seed = seed
    }

    /// The images of `train` kept, with `runSeed` standing in for a nil seed.
    public func apply(to train: ImageDataset, runSeed: UInt64 = 0) -> ImageDataset {
        var kept = train
        let seed = seed ?? runSeed
        if let perClass { kept = Split.perClass(kept, count: perClass, seed: seed) }
        if let subsample { kept = Split.subsample(kept, count: subsample, seed: seed) }
        return kept
    }
}
