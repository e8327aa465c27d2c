import Foundation
import TransferscopeData

/// A study: a source, targets, a model, recipes, seeds and the analyses to run (MISSION.md).
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
        /// cosine, or step (x0.1 at `milestones`).
        public var schedule = "cosine"
        public var milestones: [Int]?
        public var momentum = 0.9
        public var weightDecay = 1e-4
        public var flip = true
        /// Source epochs whose checkpoint is kept (nil: every epoch).
        public var checkpointEpochs: [Int]?
        public init() {}
    }

    /// One target dataset.
    public struct Target: Codable, Sendable, Equatable {
        public var data: String
        public var perClass: Int?
        public var subsample: Int?
        public var flip = true
        public init(data: String) { self.data = data }
    }

    /// Training of P-T and RI-T on each target.
    public struct Recipe: Codable, Sendable, Equatable {
        public var epochs = 10
        public var batchSize = 64
        public var fineTuneLearningRate = 0.02
        public var scratchLearningRate = 0.1
        public var momentum = 0.9
        public var weightDecay = 1e-4
        public init() {}
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
        /// linear or rbf.
        public var kernel = "linear"
        public var bandwidth = 0.5
        public var debiased = true
        public init() {}
    }

    public struct InterpolationSettings: Codable, Sendable, Equatable {
        public var points = 21
        /// reestimate, interpolate, first or second.
        public var batchNorm = "reestimate"
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
    public var recipe = Recipe()
    public var seeds: [UInt64] = [0, 1, 2]
    public var analyses = Analyses()

    public init() {}
}

extension Study {
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
