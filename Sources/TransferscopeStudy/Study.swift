import Foundation
import TransferscopeAnalysis
import TransferscopeData
import TransferscopeOptimizers
import TransferscopeTraining

/// A study: a source, targets, a model, the transfer recipe, seeds and the analyses to run.
/// Written by hand as YAML (see `StudyFile`); every field has a default so a study file names
/// only what it changes.
public struct Study: Codable, Sendable, Equatable {
    /// A pre-trained P given instead of pre-trained by the study: a Transferscope checkpoint (from
    /// `model import`, `train`, ...) and, for the checkpoint choice, earlier ones by source epoch.
    public struct GivenSource: Codable, Sendable, Equatable {
        /// P: the checkpoint every P-T run starts from.
        public var checkpoint: String
        /// Source checkpoints by source epoch for the checkpoint choice (analysis 7), P among them
        /// at the last epoch; empty when only P is given.
        public var checkpoints: [Int: String] = [:]
        /// The Transferscope run directory they come from (`source: {run: DIR}`), whose learning
        /// curve and summary the study keeps; nil for checkpoints given one by one.
        public var run: String?

        /// P alone, from the checkpoint at `checkpoint`.
        public init(checkpoint: String) { self.checkpoint = checkpoint }

        /// Every file the study reads: P and the checkpoints by epoch, each once, in order.
        public var files: [String] {
            var seen: Set<String> = []
            return ([checkpoint] + checkpoints.keys.sorted().compactMap { checkpoints[$0] }).filter {
                seen.insert($0).inserted
            }
        }
    }

    /// P: pre-trained by the study on a source dataset (the default), or given (`given`).
    public struct Source: Codable, Sendable, Equatable {
        /// The source dataset: a built-in name, a folder or `FORMAT:PATHS` (default Fashion-MNIST);
        /// nil only for a given P without its data (the domain distance then has no source).
        public var data: String? = "fashion-mnist"
        /// P given instead of pre-trained (the settings below are then unused), or nil.
        public var given: GivenSource?
        /// The architecture: resnet8/14/20/32/56 (CIFAR style) or resnet18/34/50.
        public var model = "resnet20"
        /// Channel widths of the stages, or nil for the model's own.
        public var widths: [Int]?
        /// Training images kept (a stratified subsample drawn with seed 0), or nil for all.
        public var subsample: Int?
        /// Pre-training epochs (default 8).
        public var epochs = 8
        /// Images per SGD step (default 128).
        public var batchSize = 128
        /// The base (peak) learning rate of the schedule (default 0.1).
        public var learningRate = 0.1
        /// The learning-rate schedule (step: x0.1 at `milestones`).
        public var schedule = ScheduleName.cosine
        /// Epochs at which the step schedule multiplies the rate by 0.1 (nil: half and three quarters).
        public var milestones: [Int]?
        /// SGD momentum, in [0, 1) (default 0.9).
        public var momentum = 0.9
        /// L2 weight decay coefficient, in [0, 1] (default 1e-4).
        public var weightDecay = 1e-4
        /// Whether training images are mirrored left-right with probability 1/2.
        public var flip = true
        /// Source epochs whose checkpoint is kept (nil: every epoch).
        public var checkpointEpochs: [Int]?
        /// The default source: ResNet-20 pre-trained on Fashion-MNIST for 8 epochs, cosine from 0.1.
        public init() {}

        /// The setup of P's pre-training on this source with `threads` workers: the same builder
        /// as `transferscope train`, so the same settings give the same config.json.
        public func setup(threads: Int) -> TrainingSetup {
            var setup = TrainingSetup(
                start: .named(model: model, widths: widths), dataset: data ?? "", epochs: epochs,
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
        /// The target dataset: a built-in name, a folder or `FORMAT:PATHS`.
        public var data: String
        /// Training images kept per class (few-shot), or nil for all.
        public var perClass: Int?
        /// Training images kept (a stratified subsample drawn with seed 0), or nil for all.
        public var subsample: Int?
        /// Whether the target's training images are mirrored left-right with probability 1/2.
        public var flip = true
        /// The study's analyses that run on this target (nil: all of them). Its P-T and RI-T runs
        /// and its domain distance always run; a study can keep its costly analyses to one target.
        public var analyses: [AnalysisName]?
        /// Whether the control runs are trained on this target (nil: as the study's `controls` say).
        public var controls: Bool?
        /// How the images of a folder target become P's square input, read at P's side (nil: padded
        /// whole, `.pad`; `.crop`: torchvision's evaluation resize and centre crop).
        public var fit: ImageFolderReader.Fit?
        /// The target `data` with all its training images and flipping on.
        public init(data: String) { self.data = data }

        /// The training images every run and analysis of the target uses: chosen with seed 0, so
        /// all of them see the same images.
        public var selection: TrainingSelection { TrainingSelection(perClass: perClass, subsample: subsample, seed: 0) }
    }

    /// The block-shuffle sweep (analysis 1): P-T and RI-T on targets shuffled in b x b blocks.
    public struct Shuffle: Codable, Sendable, Equatable {
        /// Block sizes (nil: every divisor of the image side).
        public var blockSizes: [Int]?
        /// Whether the sweep also trains on images with every pixel value permuted.
        public var pixel = true
        /// Epochs of each run of the sweep (default 6, shorter than the recipe's).
        public var epochs = 6
        /// Seeds of the sweep's runs (nil: the study's `seeds`).
        public var seeds: [UInt64]?
        /// The default sweep: every divisor of the side plus the pixel shuffle, 6 epochs, the study's seeds.
        public init() {}
    }

    /// Feature similarity by CKA (analysis 3) between P, the P-T and the RI-T runs.
    public struct CKASettings: Codable, Sendable, Equatable {
        /// Whether every block's output is compared, not only the stem, stage and pool outputs.
        public var everyBlock = true
        /// Test images the features are computed on (a subsample drawn with seed 0), or nil for all.
        public var images: Int?
        /// The kernel of the Gram matrices (rbf's width is `bandwidth`).
        public var kernel = CKA.KernelName.linear
        /// The RBF kernel's sigma as a fraction of the median distance (default 0.5; unused when linear).
        public var bandwidth = 0.5
        /// Whether to use the debiased (U-statistic) HSIC estimator of Song et al. (2012).
        public var debiased = true
        /// The default: every block, all test images, linear kernel, debiased.
        public init() {}
    }

    /// The loss along the straight line between two runs' weights (analysis 5).
    public struct InterpolationSettings: Codable, Sendable, Equatable {
        /// Evenly spaced points lambda in [0, 1] on the line, ends included (default 21).
        public var points = 21
        /// How BatchNorm statistics are set at each point.
        public var batchNorm = BatchNormMode.reestimate
        /// Training images (a fixed subset) on which each point's training loss and accuracy are measured.
        public var trainImages = 1000
        /// Batches of 256 training images that re-estimate BatchNorm statistics at each point.
        public var batchNormBatches = 5
        /// The default: 21 points, BatchNorm re-estimated on 5 batches, 1000 training images.
        public init() {}
    }

    /// Module criticality (analysis 6): how far each module can be rewound towards its start.
    public struct CriticalitySettings: Codable, Sendable, Equatable {
        /// Points of the alpha grid over [0, 1] (default 11).
        public var alphas = 11
        /// Relative noise levels sigma, each a fraction of a tensor's root-mean-square final value.
        public var sigmas: [Double] = [0.05, 0.1, 0.2, 0.5, 1]
        /// Monte Carlo noise draws per (alpha, sigma) (default 2).
        public var samples = 2
        /// Error allowed above the final model's, in [0, 1]: epsilon = final error + tolerance.
        public var tolerance = 0.05
        /// Training images (a subsample drawn with seed 0) the error is measured on (default 500).
        public var trainImages = 500
        /// The default: 11 alphas, sigmas 0.05 to 1, 2 draws, tolerance 0.05, 500 training images.
        public init() {}
    }

    /// The choice of source checkpoint (analysis 7): P-T from several epochs of the pre-training.
    public struct CheckpointSettings: Codable, Sendable, Equatable {
        /// Source epochs to fine-tune from (nil: every kept one).
        public var sourceEpochs: [Int]?
        /// Epochs of each fine-tuning run (default 6).
        public var epochs = 6
        /// The default: fine-tune from every kept source epoch, 6 epochs each.
        public init() {}
    }

    /// The analyses a target can name in its `analyses` list.
    public enum AnalysisName: String, Codable, Sendable, CaseIterable {
        case shuffle, mistakes, cka, distances, interpolation, criticality, checkpoints, sizes
    }

    /// The target-size sweep: P-T and RI-T trained on `per_class` images of each class for each
    /// size, so that the report can plot what pre-training is worth from few-shot to full data.
    public struct SizeSweep: Codable, Sendable, Equatable {
        /// Training images per class of each size, each at most the smallest class's count (the
        /// selection of seed 0, drawn afresh per size as a target's `per_class` draws it; the size
        /// replaces the target's own `per_class` and `subsample`).
        public var perClass: [Int] = [10, 30, 100]
        /// Epochs of each run (nil: the recipe's).
        public var epochs: Int?
        /// Seeds of the sweep's runs (nil: the study's `seeds`).
        public var seeds: [UInt64]?
        /// The default sweep: 10, 30 and 100 images per class, the recipe's epochs, the study's seeds.
        public init() {}
    }

    /// The source-to-target distance measured from P's pooled features (`DomainDistance`).
    public struct DomainSettings: Codable, Sendable, Equatable {
        /// Images per side (source test, target test) the distance is computed on, at most. The
        /// Fréchet distance's finite-sample bias grows as the count falls, so targets compare
        /// best at one count: the default fits every built-in target but clipart (503 test images).
        public var images = 1_000
        /// Bootstrap resamples of the distance's interval.
        public var resamples = 200
        /// The default: at most 1,000 images per side, 200 resamples.
        public init() {}
    }

    /// Which analyses run (nil: not run), with their settings.
    public struct Analyses: Codable, Sendable, Equatable {
        /// The block-shuffle sweep (analysis 1), or nil to skip it.
        public var shuffle: Shuffle? = Shuffle()
        /// Whether to compare where the runs err (analysis 2).
        public var mistakes = true
        /// Feature similarity (analysis 3), or nil to skip it.
        public var cka: CKASettings? = CKASettings()
        /// Whether to measure parameter distances between runs and to their starts (analysis 4).
        public var distances = true
        /// Loss along the line between runs (analysis 5), or nil to skip it.
        public var interpolation: InterpolationSettings? = InterpolationSettings()
        /// Module criticality (analysis 6), or nil to skip it.
        public var criticality: CriticalitySettings? = CriticalitySettings()
        /// Fine-tuning from earlier source checkpoints (analysis 7), or nil to skip it.
        public var checkpoints: CheckpointSettings? = CheckpointSettings()
        /// The target-size sweep, or nil to skip it (the default: it multiplies the target training).
        public var sizes: SizeSweep?
        /// The settings of the domain distance, which every target gets (it orders the targets).
        public var domain = DomainSettings()
        /// Every analysis, each with its default settings.
        public init() {}
    }

    /// The control runs trained beside P-T and RI-T (each on by default), which the findings can
    /// compare against: the paper's equal-initialization RI-T pairs and its code's RI-T at P-T's rate.
    public struct Controls: Codable, Sendable, Equatable {
        /// Per target and seed an RI-T run from one shared random initialization
        /// (`Study.sharedInitializationSeed`), its data order and augmentation from the seed.
        public var sameInit = true
        /// Per target and seed an RI-T run at P-T's learning rate (the recipe's `pt_lr`).
        public var scratchAtFineTuneRate = true
        /// Both controls on.
        public init() {}
    }

    /// The study's name, shown in the report's title and in messages (default "study").
    public var name = "study"
    /// The source dataset and P's pre-training.
    public var source = Source()
    /// The target datasets, in the order of the report; a study file needs at least one.
    public var targets: [Target] = []
    /// How P-T and RI-T are trained on each target (a target's `flip` sets its augmentation).
    public var recipe = TransferRecipe()
    /// Replicate seeds: one P-T and one RI-T run per target and seed (default 0, 1, 2).
    public var seeds: [UInt64] = [0, 1, 2]
    /// The analyses to run, with their settings.
    public var analyses = Analyses()
    /// The control runs beside P-T and RI-T.
    public var controls = Controls()

    /// The default study: the default source, no targets yet, seeds 0 to 2, every analysis.
    public init() {}
}

extension Study {
    /// P's seed: outside the replicate seeds, so that no RI-T run starts from P's own initialization.
    public static let sourceSeed: UInt64 = 1_000_003

    /// The initialization seed of every same-init RI-T control run: outside the replicate seeds,
    /// so that no control duplicates an RI-T run, and fixed, so that changing `seeds` leaves the
    /// other controls' start as it was.
    public static let sharedInitializationSeed: UInt64 = 2_000_003

    /// The source epochs whose checkpoints P's run keeps, in order: a given P's (`checkpoints:`),
    /// or those a pre-training of this study keeps (`checkpoint_epochs`, default every epoch).
    /// The checkpoint choice fine-tunes from these unless it names its own `source_epochs`.
    public var keptSourceEpochs: [Int] {
        if let given = source.given { return given.checkpoints.keys.sorted() }
        let setup = source.setup(threads: 1)
        return Set(setup.checkpointEpochs).filter { (0...setup.epochs).contains($0) }.sorted()
    }

    /// The study's analyses as they apply to `target`: those the target's `analyses` list leaves
    /// out are off.
    public func analyses(for target: Target) -> Analyses {
        guard let names = target.analyses else { return analyses }
        var chosen = analyses
        if !names.contains(.shuffle) { chosen.shuffle = nil }
        if !names.contains(.mistakes) { chosen.mistakes = false }
        if !names.contains(.cka) { chosen.cka = nil }
        if !names.contains(.distances) { chosen.distances = false }
        if !names.contains(.interpolation) { chosen.interpolation = nil }
        if !names.contains(.criticality) { chosen.criticality = nil }
        if !names.contains(.checkpoints) { chosen.checkpoints = nil }
        if !names.contains(.sizes) { chosen.sizes = nil }
        return chosen
    }

    /// The control runs as they apply to `target` (its `controls: false` turns both off).
    public func controls(for target: Target) -> Controls {
        guard target.controls == false else { return controls }
        var none = controls
        none.sameInit = false
        none.scratchAtFineTuneRate = false
        return none
    }

    /// The transfer recipe as it applies to `target` (its flip), for `epochs` if given (the experiments' shorter runs).
    public func recipe(for target: Target, epochs: Int? = nil) -> TransferRecipe {
        var recipe = epochs.map { self.recipe.running(epochs: $0) } ?? self.recipe
        recipe.augmentation.horizontalFlip = target.flip
        return recipe
    }

    /// The data specifications of the source and the targets, each once, in order.
    public var dataSpecifications: [String] {
        var seen: Set<String> = []
        return ([source.data].compactMap { $0 } + targets.map(\.data)).filter { seen.insert($0).inserted }
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

    /// The files named by the source's and targets' `FORMAT:PATHS` data, and a given P's
    /// checkpoints, that do not exist (a built-in name or a folder is checked when it is read).
    public var missingDataFiles: [String] {
        let data = dataSpecifications.flatMap { specification -> [String] in
            switch try? DatasetSource(parsing: specification) {
            case .idx(let paths)?, .npy(let paths)?, .csv(let paths)?: return paths
            default: return []
            }
        }
        return (data + (source.given?.files ?? [])).filter { !FileManager.default.fileExists(atPath: $0) }
    }
}
