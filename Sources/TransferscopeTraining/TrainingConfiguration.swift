import Foundation
import TransferscopeData
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
    public var preprocessing: Preprocessing
    public var augmentation: Augmentation
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: LearningRateSchedule
    public var optimizer: SGD.Hyperparameters
    public var seed: UInt64
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

    /// Checks values a user can get wrong; the message names the option.
    public func validate() throws {
        func fail(_ message: String) -> TrainingError { .invalidConfiguration(message) }
        guard epochs >= 1 else { throw fail("--epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 2 else { throw fail("--batch-size must be at least 2 (BatchNorm needs a batch), got \(batchSize)") }
        guard learningRate.base > 0, learningRate.base.isFinite else { throw fail("--lr must be positive, got \(learningRate.base)") }
        guard checkpointEpochs.allSatisfy({ (0...epochs).contains($0) }) else {
            throw fail("--checkpoint-epochs must lie in 0...\(epochs), got \(checkpointEpochs)")
        }
        let modules = Set(["stem", "fc"] + architecture.blocksPerStage.enumerated().flatMap { s, n in (0..<n).map { "layer\(s + 1).\($0)" } })
        let unknown = frozenModules.filter { !modules.contains($0) }
        guard unknown.isEmpty else {
            throw fail("--freeze names unknown modules \(unknown); the modules are \(modules.sorted().joined(separator: ", "))")
        }
        guard threads >= 1 else { throw fail("--threads must be at least 1") }
    }

    /// The configuration as pretty, sorted JSON.
    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(self)) ?? Data()
    }
}
