import Foundation
import TransferscopeAnalysis
import TransferscopeData
import TransferscopeOptimizers
import TransferscopeTraining

/// A study: a source, targets, a model, the transfer recipe, seeds and the analyses to run.
/// Written by hand as YAML (see `StudyFile`); every field has a default so a study file names
/// only what it changes.
public struct Study: Codable, Sendable, Equatable {
    /// Pre-training of P.
    public struct Source: Codable, Sendable, Equatable {
        public var data = "fashion-mnist"
        public var model = "resnet20"
        public var widths: [Int]?
        public var subsample: Int?
        public var epochs = 8
        public var batchSize = 128
        public var learningRate = 0.1
        /// The learning-rate schedule (step: x0.1 at `milestones`).
        public var schedule = ScheduleName.cosine
        public var milestones: [Int]?
        public var momentum = 0.9
        public var weightDecay = 1e-4
        public var flip = true
        /// Source epochs whose checkpoint is kept (nil: every epoch).
        public var checkpointEpochs: [Int]?
        public init() {}

        /// The setup of P's pre-training on this source with `threads` workers: the same builder
        /// as `transferscope train`, so the same settings give the same config.json.
        public func setup(threads: Int) -> TrainingSetup {
            var setup = TrainingSetup(
                start: .named(model: model, widths: widths), dataset: data, epochs: epochs,
                learningRate: .named(schedule, base: learningRate, epochs: epochs, milestones: milestones),
                threads: threads, batchSize: batchSize,
                optimizer: SGD.Hyperparameters(momentum: Float(momentum), weightDecay: Float(weightDecay)),
                augmentation: Augmentation(padding: 4, horizontalFlip: flip), seed: Study.sourceSeed,
                checkpointEpochs: checkpointEpochs ?? Array(0...epochs),
                selection: TrainingSelection(subsample: subsample, seed: 0))
            setup.statistics = .dataset
            return setup
        }
    }

    /// One target dataset.
    public struct Target: Codable, Sendable, Equatable {
        public var data: String
        public var perClass: Int?
        public var subsample: Int?
        public var flip = true
        public init(data: String) { self.data = data }

        /// The training images every run and analysis of the target uses: chosen with seed 0, so
        /// all of them see the same images.
        public var selection: TrainingSelection { TrainingSelection(perClass: perClass, subsample: subsample, seed: 0) }
    }

    public struct Shuffle: Codable, Sendable, Equatable {
        /// Block sizes (nil: every divisor of the image side).
        public var blockSizes: [Int]?
        public var pixel = true
        public var epochs = 6
        public var seeds: [UInt64]?
        public init() {}
    }

    public struct CKASettings: Codable, Sendable, Equatable {
        public var everyBlock = true
        public var images: Int?
        /// The kernel of the Gram matrices (rbf's width is `bandwidth`).
        public var kernel = CKA.KernelName.linear
        public var bandwidth = 0.5
        public var debiased = true
        public init() {}
    }

    public struct InterpolationSettings: Codable, Sendable, Equatable {
        public var points = 21
        /// How BatchNorm statistics are set at each point.
        public var batchNorm = BatchNormMode.reestimate
        public var trainImages = 1000
        /// Batches of 256 training images that re-estimate BatchNorm statistics at each point.
        public var batchNormBatches = 5
        public init() {}
    }

    public struct CriticalitySettings: Codable, Sendable, Equatable {
        public var alphas = 11
        public var sigmas: [Double] = [0.05, 0.1, 0.2, 0.5, 1]
        public var samples = 2
        public var tolerance = 0.05
        public var trainImages = 500
        public init() {}
    }

    public struct CheckpointSettings: Codable, Sendable, Equatable {
        /// Source epochs to fine-tune from (nil: every kept one).
        public var sourceEpochs: [Int]?
        public var epochs = 6
        public init() {}
    }

    /// Which analyses run (nil: not run), with their settings.
    public struct Analyses: Codable, Sendable, Equatable {
        public var shuffle: Shuffle? = Shuffle()
        public var mistakes = true
        public var cka: CKASettings? = CKASettings()
        public var distances = true
        public var interpolation: InterpolationSettings? = InterpolationSettings()
        public var criticality: CriticalitySettings? = CriticalitySettings()
        public var checkpoints: CheckpointSettings? = CheckpointSettings()
        public init() {}
    }

    public var name = "study"
    public var source = Source()
    public var targets: [Target] = []
    /// How P-T and RI-T are trained on each target (a target's `flip` sets its augmentation).
    public var recipe = TransferRecipe()
    public var seeds: [UInt64] = [0, 1, 2]
    public var analyses = Analyses()

    public init() {}
}

extension Study {
    /// P's seed: outside the replicate seeds, so that no RI-T run starts from P's own initialization.
    public static let sourceSeed: UInt64 = 1_000_003

    /// The transfer recipe as it applies to `target` (its flip), for `epochs` if given (the experiments' shorter runs).
    public func recipe(for target: Target, epochs: Int? = nil) -> TransferRecipe {
        var recipe = epochs.map { self.recipe.running(epochs: $0) } ?? self.recipe
        recipe.augmentation.horizontalFlip = target.flip
        return recipe
    }

    /// The data specifications of the source and the targets, each once, in order.
    public var dataSpecifications: [String] {
        var seen: Set<String> = []
        return ([source.data] + targets.map(\.data)).filter { seen.insert($0).inserted }
    }

    /// The content digest of each data specification (`DatasetSource.contentDigest`), from the
    /// files as they are now; a specification that does not parse (a folder not there yet) gets
    /// the error, which changes once it parses.
    public func dataDigests() -> [String: String] {
        var digests: [String: String] = [:]
        for specification in dataSpecifications {
            do { digests[specification] = try DatasetSource(parsing: specification).contentDigest } catch {
                digests[specification] = "unreadable: \(error.localizedDescription)"
            }
        }
        return digests
    }

    /// The files named by the source's and targets' `FORMAT:PATHS` data that do not exist (a
    /// built-in name or a folder is checked when the file is read).
    public var missingDataFiles: [String] {
        dataSpecifications.flatMap { specification -> [String] in
            switch try? DatasetSource(parsing: specification) {
            case let .idx(paths)?, let .npy(paths)?, let .csv(paths)?: return paths.filter { !FileManager.default.fileExists(atPath: $0) }
            default: return []
            }
        }
    }
}
