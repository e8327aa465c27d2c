import Foundation
import TransferscopeAnalysis
import TransferscopeData
import TransferscopeNN
import TransferscopeTraining

/// The images a node of a study pushes through the network, which its wall time is made of.
public struct ImageWork: Sendable, Equatable {
    /// Images trained (forward pass, backward pass and an SGD step), by batch size.
    public var trained: [Int: Int]
    /// Images in forward passes alone: evaluations in inference mode, and the training-mode passes
    /// that re-estimate BatchNorm statistics (nothing kept for a backward pass).
    public var evaluated: Int
    /// Images on which CKA compares two models: a forward pass of each that captures the
    /// activations, then their Gram matrices.
    public var compared: Int

    /// The given work (default none).
    public init(trained: [Int: Int] = [:], evaluated: Int = 0, compared: Int = 0) {
        self.trained = trained
        self.evaluated = evaluated
        self.compared = compared
    }

    /// Trained images, all batch sizes together.
    public var trainedImages: Int { trained.values.reduce(0, +) }

    /// The work of `a` and `b` together.
    public static func + (a: ImageWork, b: ImageWork) -> ImageWork {
        ImageWork(
            trained: a.trained.merging(b.trained, uniquingKeysWith: +), evaluated: a.evaluated + b.evaluated,
            compared: a.compared + b.compared)
    }

    /// `count` times the work of `work`.
    public static func * (count: Int, work: ImageWork) -> ImageWork {
        ImageWork(
            trained: work.trained.mapValues { count * $0 }, evaluated: count * work.evaluated,
            compared: count * work.compared)
    }

    /// One `Trainer` run: `trainImages / batchSize` steps of `batchSize` images per epoch (the
    /// rest of an epoch's images is dropped), and after each epoch and before the first the test
    /// images and a fixed subset of `trainEvaluationSize` training images evaluated.
    public static func trainingRun(
        trainImages: Int, testImages: Int, epochs: Int, batchSize: Int, trainEvaluationSize: Int
    ) -> ImageWork {
        let steps = trainImages / max(batchSize, 1)
        return ImageWork(
            trained: [batchSize: steps * batchSize * epochs],
            evaluated: (epochs + 1) * (testImages + min(trainEvaluationSize, trainImages)))
    }
}

/// What every node of a study's plan computes, counted in images (`ImageWork`) from the study's
/// settings and the sizes of its data: the cost model of `StudyEstimate`, following what
/// `StudyRunner`, the trainer, the experiments and the analyses do. Loading data and models,
/// preparing images and writing checkpoints are left out (seconds per run, against minutes).
public struct StudyWorkload: Sendable {
    /// The work of each node whose data sizes are known, by node id.
    public var work: [String: ImageWork]
    /// The ids of the nodes whose work is unknown: their data's size is not known, or the node
    /// is of a kind this model does not cover.
    public var unknown: [String]

    /// What the work of the target nodes needs to know of P: its input and its architecture.
    struct SourceFacts {
        var side: Int
        var channels: Int
        var architecture: ResNetConfiguration?
        /// The source's shape, when the study has source data and its size is known.
        var shape: DatasetShape?
    }

    /// The work of `plan`'s nodes, with the sizes of the study's data by specification (a
    /// specification missing from `data` leaves its nodes unknown); `given` is the header of a
    /// given P (`Study.Source.given`), whose input and architecture it then takes.
    public init(study: Study, plan: StudyPlan, data: [String: DatasetShape], given: SourceCheckpoint? = nil) {
        var work: [String: ImageWork] = [:]
        var unknown: [String] = []
        let shape = study.source.data.flatMap { data[$0] }
        let facts: SourceFacts? =
            if let given {
                SourceFacts(
                    side: given.preprocessing.side, channels: given.preprocessing.channels,
                    architecture: given.architecture, shape: shape)
            } else if let shape {
                SourceFacts(
                    side: max(shape.height, shape.width), channels: shape.channels,
                    architecture: ResNetConfiguration.named(
                        study.source.model, inputChannels: shape.channels, classes: 2, widths: study.source.widths),
                    shape: shape)
            } else {
                nil
            }
        for node in plan.nodes {
            if let facts, let nodeWork = Self.work(of: node, study: study, plan: plan, data: data, source: facts) {
                work[node.id] = nodeWork
            } else {
                unknown.append(node.id)
            }
        }
        self.work = work
        self.unknown = unknown
    }

    /// The work of one node, or nil when it is not known.
    static func work(
        of node: StudyPlan.Node, study: Study, plan: StudyPlan, data: [String: DatasetShape], source facts: SourceFacts
    ) -> ImageWork? {
        if node.kind == .pretrain && study.source.given != nil {
            // A given P is checked, copied and, with its data, evaluated on the source's test images.
            return ImageWork(evaluated: facts.shape?.testImages ?? 0)
        }
        if node.kind == .pretrain {
            guard let source = facts.shape else { return nil }
            let setup = study.source.setup(threads: 1)
            let train = selected(source.trainClassCounts, setup.selection).reduce(0, +)
            return ImageWork.trainingRun(
                trainImages: train, testImages: source.testImages, epochs: setup.epochs, batchSize: setup.batchSize,
                trainEvaluationSize: setup.trainEvaluationSize)
        }
        guard let index = node.target, let shape = data[study.targets[index].data] else { return nil }
        let target = study.targets[index]
        let trainCounts = selected(shape.trainClassCounts, target.selection)
        let (train, test) = (trainCounts.reduce(0, +), shape.testImages)
        func run(epochs: Int? = nil) -> ImageWork {
            let recipe = study.recipe(for: target, epochs: epochs)
            return ImageWork.trainingRun(
                trainImages: train, testImages: test, epochs: recipe.epochs, batchSize: recipe.batchSize,
                trainEvaluationSize: recipe.trainEvaluationSize)
        }
        let runs = { (kind: StudyPlan.Kind) in plan.nodes.filter { $0.target == index && $0.kind == kind }.count }
        let (fineTuned, scratch, sameInit) = (runs(.fineTune), runs(.fromScratch), runs(.fromScratchSameInit))
        let paperPairs = pairs(fineTuned) + min(fineTuned, scratch) + pairs(scratch)
        let analyses = study.analyses(for: target)
        // An experiment's work is in its parts (one seed, one setting each); gathering them is free.
        if node.kind.isExperiment && !node.isExperimentPart { return ImageWork() }
        switch node.kind {
        case .fineTune, .fromScratch, .fromScratchSameInit, .fromScratchAtFineTuneRate:
            return run()
        case .shuffleSweep:
            guard let shuffle = analyses.shuffle else { return nil }
            let pixel = facts.channels > 1 ? 1 : 0
            let settings =
                switch node.setting {
                case .pixel?: pixel
                case .some: 1
                case nil:
                    (shuffle.blockSizes ?? BlockShuffle.blockSizes(side: facts.side)).count
                        + (shuffle.pixel ? pixel : 0)
                }
            return settings == 0 ? ImageWork() : (settings * TransferKind.allCases.count) * run(epochs: shuffle.epochs)
        case .checkpoints:
            guard let settings = analyses.checkpoints else { return nil }
            return run(epochs: settings.epochs)
        case .sizeSweep:
            guard let sizes = analyses.sizes else { return nil }
            let recipe = study.recipe(for: target, epochs: sizes.epochs)
            let seeds = TransferKind.allCases.count
            let perClass = node.setting?.perClass.map { [$0] } ?? sizes.perClass
            return perClass.reduce(ImageWork()) { total, size in
                var sized = target.selection
                sized.perClass = size
                sized.subsample = nil
                let images = selected(shape.trainClassCounts, sized).reduce(0, +)
                return total
                    + seeds
                    * ImageWork.trainingRun(
                        trainImages: images, testImages: test, epochs: recipe.epochs, batchSize: recipe.batchSize,
                        trainEvaluationSize: recipe.trainEvaluationSize)
            }
        case .domain:
            // P's features of at most `images` source test, target train and target test images.
            guard let source = facts.shape else { return nil }
            let images = analyses.domain.images
            return ImageWork(evaluated: min(images, source.testImages) + min(images, train) + min(images, test))
        case .mistakes:
            return ImageWork(evaluated: (fineTuned + scratch) * test)
        case .cka:
            guard let settings = analyses.cka else { return nil }
            // A subsample of the test images is drawn stratified, its size rounded per class: about `images`.
            let images = min(settings.images ?? test, test)
            return ImageWork(compared: (fineTuned + paperPairs) * images)
        case .distances:
            return ImageWork()
        case .interpolation:
            guard let settings = analyses.interpolation else { return nil }
            return (paperPairs + pairs(sameInit)) * interpolationCurve(settings, train: train, test: test)
        case .criticality:
            guard let settings = analyses.criticality, let architecture = facts.architecture else { return nil }
            let images = selected(trainCounts, TrainingSelection(subsample: settings.trainImages)).reduce(0, +)
            let modules = 2 + architecture.blocksPerStage.reduce(0, +)
            let evaluations = criticalityEvaluations(settings, modules: modules)
            return (fineTuned + scratch) * ImageWork(evaluated: evaluations * images)
        case .pretrain:
            return nil  // handled above
        }
    }

    /// Unordered pairs of `count` runs.
    static func pairs(_ count: Int) -> Int { count * (count - 1) / 2 }

    /// The class counts `selection` keeps of `counts`, as `TrainingSelection.apply` keeps them: at
    /// most `perClass` of each class, then each class's share of `subsample`, rounded.
    static func selected(_ counts: [Int], _ selection: TrainingSelection) -> [Int] {
        var kept = counts
        if let perClass = selection.perClass { kept = kept.map { min($0, perClass) } }
        let total = kept.reduce(0, +)
        if let subsample = selection.subsample, subsample < total {
            let fraction = Double(subsample) / Double(total)
            kept = kept.map { Int((Double($0) * fraction).rounded()) }
        }
        return kept
    }

    /// One curve of `Interpolation.curve`: both endpoints evaluated as they are, then at every
    /// point the BatchNorm statistics re-estimated (`batchNormBatches` batches of up to 256
    /// training images) and the training subset and the test images evaluated; with interpolated
    /// statistics the points at 0 and 1 are the endpoints' evaluations.
    static func interpolationCurve(_ settings: Study.InterpolationSettings, train: Int, test: Int) -> ImageWork {
        let evaluation = min(settings.trainImages, train) + test
        let batchSize = min(256, train)
        let statistics =
            settings.batchNorm == .reestimate
            ? max(1, min(settings.batchNormBatches, train / max(batchSize, 1))) * batchSize : 0
        let points = Interpolation.grid(count: settings.points).filter { lambda in
            !((lambda == 0 || lambda == 1) && settings.batchNorm == .interpolate)
        }
        return ImageWork(evaluated: 2 * evaluation + points.count * (statistics + evaluation))
    }

    /// Evaluations of the training subset in one `ModuleCriticality.measure`: the final model
    /// once, then per module every alpha of the grid without noise, and the search over the
    /// sigmas. Each of its feasibility checks evaluates `samples` noisy draws; how many checks it
    /// makes depends on the errors it meets, so the count is approximate: one check at alpha = 1
    /// per sigma, and one full bisection of the alpha grid (ceil(log2(alphas)) checks) for the
    /// sigma that first succeeds. The bisections of the later sigmas are mostly cut short, since
    /// only alphas whose ratio beats the best so far are evaluated, and the search stops at mu = 0.
    static func criticalityEvaluations(_ settings: Study.CriticalitySettings, modules: Int) -> Int {
        let sigmas = settings.sigmas.filter { $0 > 0 }.count
        let bisection = settings.alphas > 1 ? Int(ceil(log2(Double(settings.alphas)))) : 0
        let checks = sigmas + (sigmas > 0 ? bisection : 0)
        return 1 + modules * (settings.alphas + settings.samples * checks)
    }
}

extension StudyWorkload {
    /// The sizes of `study`'s data that cost no pixel read (`DatasetShape.withoutReadingImages`),
    /// by data specification, and why each of the others is unknown.
    public static func dataShapes(of study: Study) -> (shapes: [String: DatasetShape], unknown: [String: String]) {
        var shapes: [String: DatasetShape] = [:]
        var unknown: [String: String] = [:]
        for specification in study.dataSpecifications {
            do {
                let source = try DatasetSource(parsing: specification)
                if let shape = try DatasetShape.withoutReadingImages(source) {
                    shapes[specification] = shape
                } else if case .builtIn(let name) = source {
                    unknown[specification] =
                        "not prepared yet (`transferscope data prepare \(name)`; `study run` prepares it)"
                } else {
                    unknown[specification] = "known once its files are read (`study run` reads them)"
                }
            } catch {
                unknown[specification] = error.localizedDescription
            }
        }
        return (shapes, unknown)
    }
}
