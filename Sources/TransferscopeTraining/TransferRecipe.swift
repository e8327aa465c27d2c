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

/// Reading what a finished run left behind.
public enum RunResults {
    /// The epoch lines of a run's metrics.jsonl.
    public static func epochs(of directory: String) throws -> [EpochMetrics] {
        try lines(of: directory).compactMap { line in
            guard line.contains("\"kind\":\"epoch\"") else { return nil }
            return try? JSONDecoder().decode(EpochMetrics.self, from: Data(line.utf8))
        }
    }

    /// The step lines of a run's metrics.jsonl.
    public static func steps(of directory: String) throws -> [StepMetrics] {
        try lines(of: directory).compactMap { line in
            guard line.contains("\"kind\":\"step\"") else { return nil }
            return try? JSONDecoder().decode(StepMetrics.self, from: Data(line.utf8))
        }
    }

    /// The summary of a finished run.
    public static func summary(of directory: String) throws -> TrainingSummary {
        let path = directory + "/summary.json"
        guard FileManager.default.fileExists(atPath: path) else { throw TrainingError.noFinishedRun(directory: directory, missing: "summary.json") }
        guard let summary = JSONFile.decode(TrainingSummary.self, from: path) else {
            throw TrainingError.corruptRunState(path: path, reason: "it does not decode as a run summary")
        }
        return summary
    }

    static func lines(of directory: String) throws -> [String] {
        let path = directory + "/metrics.jsonl"
        guard FileManager.default.fileExists(atPath: path) else { throw TrainingError.noFinishedRun(directory: directory, missing: "metrics.jsonl") }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TrainingError.corruptRunState(path: path, reason: "it is not readable UTF-8 text")
        }
        return text.split(separator: "\n").map(String.init)
    }
}
