import Foundation
import TransferscopeData
import TransferscopeNN
import TransferscopeOptimizers

/// The two ways a target is trained in a study: P-T fine-tunes the pre-trained model P (all
/// layers, new head), RI-T trains the same architecture from a random initialization.
public enum TransferKind: String, Codable, Sendable, CaseIterable {
    case fineTuned = "PT"
    case fromScratch = "RIT"

    /// The paper's name of the kind: P-T or RI-T.
    public var label: String { self == .fineTuned ? "P-T" : "RI-T" }
}

/// The one recipe of a transfer experiment: how P-T and RI-T are trained on a target from a
/// source checkpoint. Both see the same inputs (the source's image size, channels and
/// normalization), so that only the starting point (and the base learning rate) differs. The
/// defaults here are the only ones: a study's `recipe:` and the CLI's experiment flags start from them.
public struct TransferRecipe: Codable, Sendable, Equatable {
    /// Epochs of each target run.
    public var epochs: Int
    /// Images per batch.
    public var batchSize: Int
    /// Base learning rate of P-T (the paper's code: 0.02), cosine to 0.
    public var fineTuneLearningRate: Double
    /// Base learning rate of RI-T (the paper's code: 0.1), cosine to 0.
    public var scratchLearningRate: Double
    /// SGD's momentum and weight decay.
    public var optimizer: SGD.Hyperparameters
    /// Random crop and flip (off for digits and text: `horizontalFlip: false`).
    public var augmentation: Augmentation
    /// Epochs whose checkpoint is kept (0 = the start: P with its new head, or the random initialization).
    public var checkpointEpochs: [Int]
    /// Training images evaluated after every epoch (0: none).
    public var trainEvaluationSize: Int
    /// A metrics line every this many steps.
    public var logEvery: Int

    /// A recipe; every argument has the default a study and the CLI share.
    public init(
        epochs: Int = 10, batchSize: Int = 64, fineTuneLearningRate: Double = 0.02, scratchLearningRate: Double = 0.1,
        optimizer: SGD.Hyperparameters = .init(), augmentation: Augmentation = Augmentation(),
        checkpointEpochs: [Int]? = nil,
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

    /// The recipe run for `epochs` instead (the kept checkpoints follow: the start and the end).
    public func running(epochs: Int) -> TransferRecipe {
        var copy = self
        copy.epochs = epochs
        copy.checkpointEpochs = [0, epochs]
        return copy
    }

    /// The base learning rate of a `kind` run.
    public func learningRate(_ kind: TransferKind) -> Double {
        kind == .fineTuned ? fineTuneLearningRate : scratchLearningRate
    }

    /// The setup of a `kind` run on the target named `dataset` from `source`: P-T starts from
    /// the checkpoint, RI-T from a random initialization of its architecture; both take its inputs.
    /// `seed` orders and augments the data; `initializationSeed` (nil: `seed`) draws the random
    /// initialization (RI-T) or the new head (P-T).
    public func setup(
        _ kind: TransferKind, source: SourceCheckpoint, dataset: String, seed: UInt64,
        initializationSeed: UInt64? = nil,
        shuffle: BlockShuffle? = nil, selection: TrainingSelection = TrainingSelection(), threads: Int
    ) -> TrainingSetup {
        var setup = TrainingSetup(
            start: kind == .fineTuned ? .checkpoint(source) : .architecture(source.architecture), dataset: dataset,
            epochs: epochs,
            learningRate: .named(.cosine, base: learningRate(kind), epochs: epochs), threads: threads,
            batchSize: batchSize, optimizer: optimizer, augmentation: augmentation, seed: seed,
            checkpointEpochs: checkpointEpochs, selection: selection, trainEvaluationSize: trainEvaluationSize,
            logEvery: logEvery)
        setup.initializationSeed = initializationSeed
        setup.side = source.preprocessing.side
        setup.channels = source.preprocessing.channels
        setup.statistics = .checkpoint(source)
        if let shuffle { setup.shuffle = { _, _ in shuffle } }
        return setup
    }

    /// The training configuration of a `kind` run on `target` from `source` (see `setup`).
    public func configuration(
        _ kind: TransferKind, source: SourceCheckpoint, target: DatasetSplits, dataset: String, seed: UInt64,
        initializationSeed: UInt64? = nil, shuffle: BlockShuffle? = nil,
        selection: TrainingSelection = TrainingSelection(),
        threads: Int
    ) throws -> TrainingConfiguration {
        try setup(
            kind, source: source, dataset: dataset, seed: seed, initializationSeed: initializationSeed,
            shuffle: shuffle,
            selection: selection, threads: threads
        )
        .configuration(for: target)
    }
}
