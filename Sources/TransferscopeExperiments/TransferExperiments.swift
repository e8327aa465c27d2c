import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeTraining

/// Mean, smallest and largest of replicate values (over seeds).
public struct Spread: Codable, Sendable, Equatable {
    /// Arithmetic mean of the values; 0 when there are none.
    public var mean: Double
    /// Smallest value; 0 when there are none.
    public var minimum: Double
    /// Largest value; 0 when there are none.
    public var maximum: Double
    /// Number of values (replicates) summarised.
    public var count: Int

    /// Summarises `values`; an empty list gives count 0 and mean, minimum and maximum 0.
    public init(_ values: [Double]) {
        count = values.count
        mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        minimum = values.min() ?? 0
        maximum = values.max() ?? 0
    }
}

/// One training run of an experiment and what it reached.
public struct RunOutcome: Codable, Sendable, Equatable {
    /// Whether this run fine-tuned the source or trained from random initialization.
    public var kind: TransferKind
    /// The run's random seed (initialization, shuffling, augmentation).
    public var seed: UInt64
    /// The setting this run belongs to (a block size, a source epoch, ...).
    public var setting: String
    /// The run's directory (`config.json`, `metrics.jsonl`, `summary.json`, checkpoints).
    public var directory: String
    /// Test accuracy after the last epoch, in [0, 1].
    public var finalTestAccuracy: Double
    /// (step, test accuracy) after every epoch, from epoch 0.
    public var curve: [[Double]]
    /// Steps until the test accuracy first reached `fraction` of its final value.
    public var stepsToFraction: Int?
    /// (step, mean training loss over the interval) at every metrics line: the optimization
    /// speed the low-level-statistics claim is about (nil in results written before 0.4.0).
    public var trainLoss: [[Double]]?
}

/// The experiments that train many targets: the block-shuffle sweep (analysis 1) and the choice
/// of source checkpoint (analysis 7). Every run is a resumable `Trainer` run in its own
/// directory, so an interrupted experiment picks up where it stopped and finished runs are reused.
public enum TransferExperiments {
    /// The share of the final accuracy that counts as "reached" for training speed.
    public static let speedFraction = 0.9

    static func outcome(kind: TransferKind, seed: UInt64, setting: String, directory: String) throws -> RunOutcome {
        let summary = try RunResults.summary(of: directory)
        let epochs = try RunResults.epochs(of: directory)
        let target = speedFraction * summary.finalTestAccuracy
        return RunOutcome(
            kind: kind, seed: seed, setting: setting, directory: directory,
            finalTestAccuracy: summary.finalTestAccuracy,
            curve: epochs.map { [Double($0.step), $0.testAccuracy] },
            stepsToFraction: epochs.first { $0.testAccuracy >= target }?.step,
            trainLoss: try RunResults.steps(of: directory).map { [Double($0.step), $0.loss] })
    }

    /// Trains (or reuses) one run.
    static func train(
        _ configuration: TrainingConfiguration, data: DatasetSplits, directory: String, label: String,
        onEvent: (String, TrainingEvent) -> Void
    ) throws {
        let trainer = Trainer(configuration: configuration, directory: directory)
        try withoutActuallyEscaping(onEvent) { report in
            trainer.onEvent = { report(label, $0) }
            defer { trainer.onEvent = { _ in } }
            try trainer.run(data: data)
        }
    }

    /// Analysis 1: P-T and RI-T on the target shuffled in b x b blocks for every b of
    /// `blockSizes` (b = side: no shuffle) and, if `pixelShuffle`, with all values permuted; one
    /// permutation per seed, the same for train and test. Augmentation is off for every run.
    public static func shuffleSweep(
        source: SourceCheckpoint, target: DatasetSplits, dataset: String, blockSizes: [Int], pixelShuffle: Bool,
        seeds: [UInt64], recipe: TransferRecipe, selection: TrainingSelection = TrainingSelection(), directory: String,
        threads: Int, onEvent: (String, TrainingEvent) -> Void = { _, _ in }
    ) throws -> [RunOutcome] {
        let lock = try OutputDirectory.createAndLock(directory, purpose: "analyze shuffle-sweep")
        defer { lock.release() }
        let (side, channels) = (source.preprocessing.side, source.preprocessing.channels)
        var settings: [(String, (UInt64) throws -> BlockShuffle?)] = try blockSizes.map { b in
            _ = try BlockShuffle(blockSize: b, side: side, channels: channels, seed: 0)  // validates b
            return (
                "b\(b)",
                { seed in b == side ? nil : try BlockShuffle(blockSize: b, side: side, channels: channels, seed: seed) }
            )
        }
        if pixelShuffle {
            settings.append(("pixel", { BlockShuffle(pixelShuffleSide: side, channels: channels, seed: $0) }))
        }
        var outcomes: [RunOutcome] = []
        for (setting, shuffle) in settings {
            for seed in seeds {
                for kind in TransferKind.allCases {
                    let runDirectory = "\(directory)/\(setting)/\(kind.rawValue)-s\(seed)"
                    var configuration = try recipe.configuration(
                        kind, source: source, target: target, dataset: dataset, seed: seed, shuffle: try shuffle(seed),
                        selection: selection, threads: threads)
                    configuration.augmentation = .none
                    try train(
                        configuration, data: target, directory: runDirectory,
                        label: "\(setting) \(kind.rawValue) s\(seed)", onEvent: onEvent)
                    outcomes.append(try outcome(kind: kind, seed: seed, setting: setting, directory: runDirectory))
                }
            }
        }
        return outcomes
    }

    /// The target-size sweep: P-T and RI-T with `perClass` training images of each class for each
    /// size (drawn with `selection`'s seed; the size replaces the selection's own per-class count
    /// and subsample), with `seeds`; the setting of a run is its size. A size above the smallest
    /// class's count, or too small for one batch, is refused before anything trains. Runs that
    /// already finished are reused.
    public static func sizeSweep(
        source: SourceCheckpoint, target: DatasetSplits, dataset: String, perClass: [Int], seeds: [UInt64],
        recipe: TransferRecipe, selection: TrainingSelection = TrainingSelection(), directory: String, threads: Int,
        onEvent: (String, TrainingEvent) -> Void = { _, _ in }
    ) throws -> [RunOutcome] {
        try checkSizes(perClass, target: target, dataset: dataset, batchSize: recipe.batchSize)
        let lock = try OutputDirectory.createAndLock(directory, purpose: "analyze sizes")
        defer { lock.release() }
        var outcomes: [RunOutcome] = []
        for size in perClass {
            var sized = selection
            sized.perClass = size
            sized.subsample = nil
            for seed in seeds {
                for kind in TransferKind.allCases {
                    let runDirectory = "\(directory)/k\(size)/\(kind.rawValue)-s\(seed)"
                    let configuration = try recipe.configuration(
                        kind, source: source, target: target, dataset: dataset, seed: seed, selection: sized,
                        threads: threads)
                    try train(
                        configuration, data: target, directory: runDirectory,
                        label: "\(size) per class \(kind.rawValue) s\(seed)", onEvent: onEvent)
                    outcomes.append(try outcome(kind: kind, seed: seed, setting: "\(size)", directory: runDirectory))
                }
            }
        }
        return outcomes
    }

    /// Refuses a size sweep's sizes that a class of `target` cannot give, or that are fewer
    /// images than one batch of `batchSize`.
    public static func checkSizes(_ perClass: [Int], target: DatasetSplits, dataset: String, batchSize: Int) throws {
        let smallest = target.train.classCounts.min() ?? 0
        if let size = perClass.first(where: { $0 > smallest }) {
            throw ExperimentError.invalidSetting(
                "the size sweep asks for \(size) training images per class, but the smallest class of \(dataset) "
                    + "has \(smallest); give sizes up to \(smallest)")
        }
        let classes = target.train.classNames.count
        if let size = perClass.first(where: { $0 * classes < batchSize }) {
            throw ExperimentError.invalidSetting(
                "the size sweep's \(size) images per class of \(classes) classes are fewer than one batch of "
                    + "\(batchSize); give sizes of at least \((batchSize + classes - 1) / classes) per "
                    + "class, or a smaller batch_size in the recipe")
        }
    }

    /// Refuses source epochs whose checkpoint the source run in `sourceRun` did not keep.
    public static func checkSourceCheckpoints(sourceRun: String, epochs: [Int]) throws {
        for epoch in epochs {
            let checkpoint = sourceRun + String(format: "/checkpoints/epoch-%04d.safetensors", epoch)
            guard FileManager.default.fileExists(atPath: checkpoint) else {
                throw ExperimentError.missingSourceCheckpoint(path: checkpoint)
            }
        }
    }

    /// Analysis 7: P-T from each kept checkpoint `epochs` of the source run in `sourceRun`, with seeds.
    public static func checkpointChoice(
        sourceRun: String, epochs: [Int], target: DatasetSplits, dataset: String, seeds: [UInt64],
        recipe: TransferRecipe,
        selection: TrainingSelection = TrainingSelection(), directory: String, threads: Int,
        onEvent: (String, TrainingEvent) -> Void = { _, _ in }
    ) throws -> [RunOutcome] {
        let lock = try OutputDirectory.createAndLock(directory, purpose: "analyze checkpoints")
        defer { lock.release() }
        var outcomes: [RunOutcome] = []
        for epoch in epochs {
            let checkpoint = sourceRun + String(format: "/checkpoints/epoch-%04d.safetensors", epoch)
            guard FileManager.default.fileExists(atPath: checkpoint) else {
                throw ExperimentError.missingSourceCheckpoint(path: checkpoint)
            }
            let source = try SourceCheckpoint(checkpoint)
            for seed in seeds {
                let runDirectory = "\(directory)/epoch-\(epoch)/PT-s\(seed)"
                let configuration = try recipe.configuration(
                    .fineTuned, source: source, target: target, dataset: dataset, seed: seed, selection: selection,
                    threads: threads)
                try train(
                    configuration, data: target, directory: runDirectory, label: "epoch \(epoch) PT s\(seed)",
                    onEvent: onEvent)
                outcomes.append(try outcome(kind: .fineTuned, seed: seed, setting: "\(epoch)", directory: runDirectory))
            }
        }
        return outcomes
    }

    /// The outcomes grouped by (setting, kind): the spread of final accuracy and of steps to 90%.
    public static func summarize(_ outcomes: [RunOutcome]) -> [SettingSummary] {
        var groupIndex: [String: Int] = [:]
        var groups: [[RunOutcome]] = []  // in order of first appearance
        for outcome in outcomes {
            let key = outcome.setting + "|" + outcome.kind.rawValue
            if let index = groupIndex[key] {
                groups[index].append(outcome)
            } else {
                groupIndex[key] = groups.count
                groups.append([outcome])
            }
        }
        return groups.map { group in
            SettingSummary(
                setting: group[0].setting, kind: group[0].kind, accuracy: Spread(group.map(\.finalTestAccuracy)),
                stepsToFraction: Spread(group.compactMap(\.stepsToFraction).map(Double.init)))
        }
    }
}

/// The spread over seeds of one (setting, kind) of an experiment.
public struct SettingSummary: Codable, Sendable, Equatable {
    /// The setting the runs share (a block size, a source epoch, ...).
    public var setting: String
    /// Fine-tuned or trained from scratch.
    public var kind: TransferKind
    /// Final test accuracy over seeds, in [0, 1].
    public var accuracy: Spread
    /// Steps to reach `TransferExperiments.speedFraction` (90%) of the final accuracy, over the seeds that did.
    public var stepsToFraction: Spread
}
