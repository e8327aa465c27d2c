import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeOptimizers

/// Everything that determines a training run; recorded as `config.json` in its directory, and
/// a run resumes only with an identical configuration.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// The model (its `classes` and `inputChannels` match the data).
    public var architecture: ResNetConfiguration
    /// The `--data` text the dataset came from (for the record).
    public var dataset: String
    /// Images per class kept from the training split (few-shot), or nil for all.
    public var trainPerClass: Int?
    /// Training images kept (stratified subsample), or nil for all.
    public var trainSubsample: Int?
    /// The seed that picks those images (nil: `seed`; a study uses 0 so all its runs of a
    /// target train on the same images).
    public var trainSelectionSeed: UInt64?
    /// How images are resized, converted and normalized before the model sees them.
    public var preprocessing: Preprocessing
    /// Random crop and flip applied to training images (none at evaluation).
    public var augmentation: Augmentation
    /// Passes over the training images, at least 1.
    public var epochs: Int
    /// Images per SGD step (default 128).
    public var batchSize: Int
    /// The learning rate for each step: base rate, warm-up and decay.
    public var learningRate: LearningRateSchedule
    /// SGD momentum, weight decay and whether the momentum is Nesterov.
    public var optimizer: SGD.Hyperparameters
    /// Seeds data order and augmentation, and initialization unless `initializationSeed` is set (default 0).
    public var seed: UInt64
    /// The seed of the model's random initialization (and a fine-tuned model's new head) alone,
    /// or nil for `seed`; two runs that share it start from the same weights whatever their `seed`.
    public var initializationSeed: UInt64?
    /// Epochs after which a checkpoint is kept (0 = the starting point); the last is always kept.
    public var checkpointEpochs: [Int]
    /// The checkpoint fine-tuning starts from (all but the head loaded), or nil for a random start.
    public var initialization: String?
    /// Modules (`stem`, `layerS.B`, `fc`) whose parameters are not updated.
    public var frozenModules: [String]
    /// Size of the fixed training subset evaluated after every epoch (0: none).
    public var trainEvaluationSize: Int
    /// A metrics line every this many steps.
    public var logEvery: Int
    /// Worker threads (part of the configuration: the same seed and thread count give the same bits).
    public var threads: Int

    /// A configuration; defaults: batch 128, SGD momentum 0.9 and weight decay 1e-4, seed 0, log every 50 steps.
    public init(
        architecture: ResNetConfiguration, dataset: String, trainPerClass: Int? = nil, trainSubsample: Int? = nil,
        preprocessing: Preprocessing, augmentation: Augmentation = Augmentation(), epochs: Int, batchSize: Int = 128,
        learningRate: LearningRateSchedule, optimizer: SGD.Hyperparameters = .init(), seed: UInt64 = 0,
        checkpointEpochs: [Int] = [0], initialization: String? = nil, frozenModules: [String] = [],
        trainEvaluationSize: Int = 2000, logEvery: Int = 50, threads: Int
    ) {
        self.architecture = architecture
        self.dataset = dataset
        self.trainPerClass = trainPerClass
        self.trainSubsample = trainSubsample
        self.preprocessing = preprocessing
        self.augmentation = augmentation
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.seed = seed
        self.checkpointEpochs = checkpointEpochs
        self.initialization = initialization
        self.frozenModules = frozenModules
        self.trainEvaluationSize = trainEvaluationSize
        self.logEvery = logEvery
        self.threads = threads
    }

    /// The seed the model's random initialization is drawn with: `initializationSeed`, else `seed`.
    public var effectiveInitializationSeed: UInt64 { initializationSeed ?? seed }

    /// Which training images the run uses.
    public var selection: TrainingSelection {
        TrainingSelection(perClass: trainPerClass, subsample: trainSubsample, seed: trainSelectionSeed)
    }

    /// The training images of `train` this run uses (its selection applied).
    public func trainingImages(of train: ImageDataset) -> ImageDataset { selection.apply(to: train, runSeed: seed) }

    /// Checks every value against sense and `Limits` (a configuration may come from flags, a
    /// study file or a run's config.json); the message names the setting.
    public func validate() throws {
        func fail(_ message: String) -> TrainingError { .invalidConfiguration(message) }
        do { try architecture.validate() } catch { throw fail(error.localizedDescription) }
        do { try preprocessing.validate() } catch let error as DataError { throw fail(error.reason) }
        guard preprocessing.side >= 8 else {
            throw fail(
                "the model's input side is \(preprocessing.side) pixels; give at least 8 (--size resizes the images)")
        }
        guard (1...Limits.epochs).contains(epochs) else {
            throw fail("the epochs must lie in 1...\(Limits.epochs), got \(epochs)")
        }
        guard (2...Limits.images).contains(batchSize) else {
            throw fail("the batch size must lie in 2...\(Limits.images) (BatchNorm needs a batch), got \(batchSize)")
        }
        guard learningRate.base > 0, learningRate.base.isFinite else {
            throw fail("the learning rate must be a finite number above 0, got \(learningRate.base)")
        }
        guard learningRate.warmupEpochs >= 0, learningRate.warmupEpochs <= Double(epochs) else {
            throw fail("the warm-up must lie in 0...\(epochs) epochs, got \(learningRate.warmupEpochs)")
        }
        if case .multiStep(let milestones, let gamma) = learningRate.kind {
            guard gamma > 0, gamma <= 1_000 else {
                throw fail("the step schedule's factor must lie in (0, 1000], got \(gamma)")
            }
            guard milestones.allSatisfy({ (1...epochs).contains($0) }) else {
                throw fail("the step schedule's milestones must lie in 1...\(epochs), got \(milestones)")
            }
        }
        guard optimizer.momentum >= 0, optimizer.momentum < 1, optimizer.weightDecay >= 0, optimizer.weightDecay <= 1
        else {
            throw fail(
                "momentum must lie in [0, 1) and weight decay in [0, 1], got \(optimizer.momentum) and "
                    + "\(optimizer.weightDecay)"
            )
        }
        guard checkpointEpochs.allSatisfy({ (0...epochs).contains($0) }) else {
            throw fail("the kept checkpoints' epochs must lie in 0...\(epochs), got \(checkpointEpochs)")
        }
        for (value, name) in [(trainPerClass, "images per class"), (trainSubsample, "training subsample")] {
            if let value, !(1...Limits.images).contains(value) {
                throw fail("the \(name) must lie in 1...\(Limits.images), got \(value)")
            }
        }
        guard (0...Limits.images).contains(trainEvaluationSize) else {
            throw fail(
                "the training images evaluated per epoch must lie in 0...\(Limits.images), got \(trainEvaluationSize)")
        }
        guard logEvery >= 1 else { throw fail("the metrics interval must be at least 1 step, got \(logEvery)") }
        let modules = Set(
            ["stem", "fc"]
                + architecture.blocksPerStage.enumerated().flatMap { s, n in (0..<n).map { "layer\(s + 1).\($0)" } })
        let unknown = frozenModules.filter { !modules.contains($0) }
        guard unknown.isEmpty else {
            throw fail(
                "--freeze names unknown modules \(unknown); the modules are \(modules.sorted().joined(separator: ", "))"
            )
        }
        guard (1...Limits.threads).contains(threads) else {
            throw fail("the threads must lie in 1...\(Limits.threads), got \(threads)")
        }
    }

    /// The configuration as pretty, sorted JSON (what `config.json` holds).
    public func json() throws -> Data { try JSONFile.encode(self) }
}
