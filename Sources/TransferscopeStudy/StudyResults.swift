import Foundation
import TransferscopeAnalysis
import TransferscopeIO
import TransferscopeNN
import TransferscopeTraining

/// Everything a study measured, gathered from the results directory into `results.json`, with
/// the verdict on each finding of the paper. The report is drawn from this alone.
public struct StudyResults: Codable, Sendable {
    /// A test-accuracy learning curve of one run: (step, accuracy) after every epoch.
    public struct Curve: Codable, Sendable, Equatable {
        /// The run's node id (`pretrain`, `clipart/PT-s0`, ...).
        public var run: String
        /// P, P-T or RI-T.
        public var kind: ModelRole
        /// [step, test accuracy in [0, 1]] after every epoch, from epoch 0.
        public var points: [[Double]]
    }

    /// What was measured on one target: its data, the runs' curves and every analysis that ran.
    public struct Target: Codable, Sendable {
        /// The target's name in the study (`StudyPlan.targetName`, e.g. `clipart`).
        public var name: String
        /// The target's data specification, as the study file gives it.
        public var data: String
        /// The target's class names, in label order.
        public var classes: [String]
        /// Images in the target's training split, before few-shot selection or subsampling.
        public var trainImages: Int
        /// Images in the target's test split.
        public var testImages: Int
        /// Test-accuracy curves of the target's P-T and RI-T runs.
        public var curves: [Curve]
        /// Final test accuracy of each P-T and RI-T run, by node id, in [0, 1].
        public var finalAccuracy: [String: Double]
        /// Test-accuracy curves of the control runs (`Study.Controls`: RI-T from the shared
        /// initialization, RI-T at P-T's rate); empty when both are off, nil in older results.
        public var controlCurves: [Curve]?
        /// Final test accuracy of each control run, by node id (`clipart/RIT-same-s0`,
        /// `clipart/RIT-ptlr-s0`), in [0, 1]; nil in older results.
        public var controlFinalAccuracy: [String: Double]?
        /// The distance from the source, measured from P's features (orders the targets), or nil
        /// if it was not measured (older results).
        public var domain: DomainDistance?
        /// The block-shuffle sweep (analysis 1), or nil if it did not run.
        public var shuffle: ExperimentResult?
        /// The target-size sweep, or nil if it did not run.
        public var sizes: ExperimentResult?
        /// The mistake tables (analysis 2), or nil if they were not computed.
        public var mistakes: MistakesResult?
        /// CKA feature similarity per pair of models (analysis 3), or nil if not computed.
        public var cka: [PairResult<FeatureSimilarity>]?
        /// Parameter distances per pair of models (analysis 4), or nil if not computed.
        public var distances: [PairResult<ParameterDistance>]?
        /// Loss and accuracy along the line between two runs (analysis 5), or nil if not computed.
        public var interpolation: [PairResult<InterpolationCurve>]?
        /// Module criticality of a P-T and an RI-T run (analysis 6), or nil if not computed.
        public var criticality: [PairResult<ModuleCriticality>]?
        /// P-T from earlier source checkpoints (analysis 7), or nil if it did not run.
        public var checkpoints: ExperimentResult?
    }

    /// The study as it was run.
    public var study: Study
    /// The Transferscope version that gathered the results.
    public var version: String
    /// The machine the results were gathered on.
    public var machine: MachineDescription
    /// Wall-clock seconds of the last `study run` (kept when only the report is redrawn; 0 if unknown).
    public var seconds: Double
    /// P's test-accuracy curve on the source.
    public var source: Curve
    /// P's test accuracy on the source after pre-training, in [0, 1]; for a given P, as measured
    /// on the source's test images (nil without them).
    public var sourceFinalAccuracy: Double?
    /// P's architecture (its head has the source's classes); nil in results before 0.6.0.
    public var sourceArchitecture: ResNetConfiguration?
    /// One entry per target, in the study's order.
    public var targets: [Target]
    /// The verdict on each of the paper's claims, per target.
    public var findings: [Finding]
    /// The side of P's input images (the block size of "no shuffle"); nil in results before 0.4.0.
    public var inputSide: Int?
    /// Images in the source's test split (for the tolerance of its plateau); nil in results before 0.4.0.
    public var sourceTestImages: Int?
    /// The names of the targets with a measured distance, closest first (the report's order);
    /// nil in older results.
    public var targetsByDistance: [String]?

    /// Reads the results of `runner`'s study and writes `results.json` (atomically).
    @discardableResult
    public static func collect(_ runner: StudyRunner, seconds: Double) throws -> StudyResults {
        func read<T: Decodable>(_ type: T.Type, _ id: String) -> T? {
            guard let data = FileManager.default.contents(atPath: runner.resultDirectory(id) + "/result.json") else {
                return nil
            }
            // A NaN in a result must not read as "did not run".
            return try? JSONFile.decoder().decode(type, from: data)
        }
        func curve(_ node: StudyPlan.Node, kind: ModelRole) throws -> Curve {
            let directory = runner.runDirectory(node)
            return Curve(
                run: node.id, kind: kind,
                points: try RunResults.epochs(of: directory).map { [Double($0.step), $0.testAccuracy] })
        }
        var targets: [Target] = []
        for (index, target) in runner.study.targets.enumerated() {
            let name = StudyPlan.targetName(runner.study, index)
            let splits = try runner.targetData(index)
            let allRuns = runner.plan.nodes.filter { $0.target == index && $0.kind.isTargetRun }
            let runs = allRuns.filter { $0.kind == .fineTune || $0.kind == .fromScratch }
            let controls = allRuns.filter { $0.kind != .fineTune && $0.kind != .fromScratch }
            let curves = try runs.map { try curve($0, kind: ModelRole(run: $0.kind)) }
            let controlCurves = try controls.map { try curve($0, kind: ModelRole(run: $0.kind)) }
            func finals(_ runs: [StudyPlan.Node]) throws -> [String: Double] {
                var finals: [String: Double] = [:]
                for run in runs {
                    finals[run.id] = try RunResults.summary(of: runner.runDirectory(run)).finalTestAccuracy
                }
                return finals
            }
            targets.append(
                Target(
                    name: name, data: target.data, classes: splits.train.classNames, trainImages: splits.train.count,
                    testImages: splits.test.count,
                    curves: curves, finalAccuracy: try finals(runs), controlCurves: controlCurves,
                    controlFinalAccuracy: try finals(controls), domain: read(DomainDistance.self, name + "/domain"),
                    shuffle: read(ExperimentResult.self, name + "/shuffle"),
                    sizes: read(ExperimentResult.self, name + "/sizes"),
                    mistakes: read(MistakesResult.self, name + "/mistakes"),
                    cka: read([PairResult<FeatureSimilarity>].self, name + "/cka"),
                    distances: read([PairResult<ParameterDistance>].self, name + "/distances"),
                    interpolation: read([PairResult<InterpolationCurve>].self, name + "/interpolation"),
                    criticality: read([PairResult<ModuleCriticality>].self, name + "/criticality"),
                    checkpoints: read(ExperimentResult.self, name + "/checkpoints")))
        }
        guard let pretrain = runner.plan.node("pretrain") else {
            preconditionFailure(
                "the plan of study \(runner.study.name) has no \"pretrain\" node; StudyPlan always adds one")
        }
        let given = runner.study.source.given
        let pretrainDirectory = runner.runDirectory(pretrain)
        // A given P has a learning curve only when it came with its run (`source: {run: DIR}`).
        let hasCurve = given == nil || FileManager.default.fileExists(atPath: pretrainDirectory + "/metrics.jsonl")
        let source = hasCurve ? try curve(pretrain, kind: .source) : Curve(run: pretrain.id, kind: .source, points: [])
        let side = try runner.source().preprocessing.side
        let sourceTestImages = try runner.study.source.data.map { _ in
            try runner.sourceData(for: "P's source accuracy").test.count
        }
        let sourceFinalAccuracy: Double?
        if given == nil || FileManager.default.fileExists(atPath: pretrainDirectory + "/summary.json") {
            sourceFinalAccuracy = try RunResults.summary(of: pretrainDirectory).finalTestAccuracy
        } else {
            let path = pretrainDirectory + "/" + GivenSourceAdoption.evaluationFile
            sourceFinalAccuracy = (try? JSONFile.read(SourceEvaluation.self, from: path))?.accuracy
        }
        let context = AssessmentContext(
            seeds: runner.study.seeds, side: side, sourceCurve: source.points, source: runner.study.source,
            sourceTestImages: sourceTestImages,
            // Target names are unique (`StudyPlan.targetName` numbers repeats).
            targetAnalyses: Dictionary(
                uniqueKeysWithValues: runner.study.targets.indices.compactMap { index in
                    runner.study.targets[index].analyses.map { (StudyPlan.targetName(runner.study, index), $0) }
                }))
        let results = StudyResults(
            study: runner.study, version: TransferscopeVersion.current, machine: .current(), seconds: seconds,
            source: source, sourceFinalAccuracy: sourceFinalAccuracy,
            sourceArchitecture: try runner.source().architecture,
            targets: targets, findings: Finding.assess(targets, context: context), inputSide: side,
            sourceTestImages: sourceTestImages, targetsByDistance: Finding.closestFirst(targets).map(\.name))
        try AnalysisFiles.writeJSON(results, to: runner.directory, name: "results.json")
        return results
    }

    /// Reads `results.json` from a study directory.
    public static func load(from directory: String) throws -> StudyResults {
        let path = directory + "/results.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StudyError.unreadable(
                path: path, reason: "no such file; run the study first (transferscope study run)")
        }
        do { return try JSONFile.decoder().decode(StudyResults.self, from: data) } catch {
            throw StudyError.invalid(
                path: path, line: nil, message: "does not parse as study results (\(error)); run the study again")
        }
    }
}

/// The role of a model in a study: P, a P-T run or an RI-T run (the labels of curves and the report).
public enum ModelRole: String, Codable, Sendable, CaseIterable {
    /// P, the pre-trained model.
    case source = "P"
    /// A model fine-tuned from P.
    case fineTuned = "P-T"
    /// A model trained from a random initialization.
    case scratch = "RI-T"
    /// A control: RI-T from the initialization all such runs share (`Study.sharedInitializationSeed`).
    case scratchSameInit = "RI-T same init"
    /// A control: RI-T at P-T's learning rate.
    case scratchAtFineTuneRate = "RI-T at P-T rate"

    /// The role of a target run node's model (the pre-training and analyses: P).
    init(run kind: StudyPlan.Kind) {
        switch kind {
        case .fineTune: self = .fineTuned
        case .fromScratch: self = .scratch
        case .fromScratchSameInit: self = .scratchSameInit
        case .fromScratchAtFineTuneRate: self = .scratchAtFineTuneRate
        default: self = .source
        }
    }
}
