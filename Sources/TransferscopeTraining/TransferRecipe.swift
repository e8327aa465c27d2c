import Foundation
import TransferscopeCheckpoints
import TransferscopeData
import TransferscopeNN
import TransferscopeOptimizers

/// The two ways a target is trained in a study: P-T fine-tunes the pre-trained model P (all
/// layers, new head), RI-T trains the same architecture from a random initialization.
public enum TransferKind: String, Codable, Sendable, CaseIterable {
    case fineTuned = "PT"
    case fromScratch = "RIT"
}

/// A recipe for training targets from a source checkpoint: P-T and RI-T see the same inputs
/// (the source's image size, channels and normalization), so that only the starting point differs.
public struct TransferRecipe: Codable, Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    /// Base learning rates (the paper's code: 0.02 for P-T, 0.1 for RI-T), cosine to 0.
    public var fineTuneLearningRate: Double
    public var scratchLearningRate: Double
    public var optimizer: SGD.Hyperparameters
    public var augmentation: Augmentation
    public var checkpointEpochs: [Int]
    public var trainEvaluationSize: Int
    public var logEvery: Int

    public init(
        epochs: Int = 10, batchSize: Int = 64, fineTuneLearningRate: Double = 0.02, scratchLearningRate: Double = 0.1,
        optimizer: SGD.Hyperparameters = .init(), augmentation: Augmentation = Augmentation(), checkpointEpochs: [Int]? = nil,
        trainEvaluationSize: Int = 1000, logEvery: Int = 10
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.fineTuneLearningRate = fineTuneLearningRate
        self.scratchLearningRate = scratchLearningRate
        self.optimizer = optimizer
        self.augmentation = augmentation
        self.checkpointEpochs = checkpointEpochs ?? [0, epochs]
        self.trainEvaluationSize = trainEvaluationSize
        self.logEvery = logEvery
    }

    /// The training configuration of a `kind` run on `target` from the checkpoint `source`.
    public func configuration(
        _ kind: TransferKind, source: String, target: DatasetSplits, dataset: String, seed: UInt64,
        shuffle: BlockShuffle? = nil, threads: Int
    ) throws -> TrainingConfiguration {
        var architecture = try Checkpoint.architecture(at: source)
        architecture.classes = target.train.classNames.count
        var preprocessing = try ModelInput.preprocessing(ofCheckpoint: source)
        preprocessing.shuffle = shuffle
        return TrainingConfiguration(
            architecture: architecture, dataset: dataset, preprocessing: preprocessing,
            augmentation: shuffle == nil ? augmentation : .none, epochs: epochs, batchSize: batchSize,
            learningRate: LearningRateSchedule(
                base: kind == .fineTuned ? fineTuneLearningRate : scratchLearningRate,
                kind: .cosine(totalEpochs: Double(epochs), minimum: 0)),
            optimizer: optimizer, seed: seed, checkpointEpochs: checkpointEpochs,
            initialization: kind == .fineTuned ? source : nil, trainEvaluationSize: trainEvaluationSize, logEvery: logEvery,
            threads: threads)
    }
}
