import Foundation
import TransferscopeAnalysis
import TransferscopeTraining

/// Everything a study measured, gathered from the results directory into `results.json`, with
/// the verdict on each finding of the paper. The report is drawn from this alone.
public struct StudyResults: Codable, Sendable {
    /// A test-accuracy learning curve of one run: (step, accuracy) after every epoch.
    public struct Curve: Codable, Sendable, Equatable {
        public var run: String
        public var kind: ModelRole
        public var points: [[Double]]
    }

    public struct Target: Codable, Sendable {
        public var name: String
        public var data: String
        public var classes: [String]
        public var trainImages: Int
        public var testImages: Int
        public var curves: [Curve]
        public var finalAccuracy: [String: Double]
        public var shuffle: ExperimentResult?
        public var mistakes: MistakesResult?
        public var cka: [PairResult<FeatureSimilarity>]?
        public var distances: [PairResult<ParameterDistance>]?
        public var interpolation: [PairResult<InterpolationCurve>]?
        public var criticality: [PairResult<ModuleCriticality>]?
        public var checkpoints: ExperimentResult?
    }

    public var study: Study
    public var version: String
    public var machine: MachineDescription
    public var seconds: Double
    public var source: Curve
    public var sourceFinalAccuracy: Double
    public var targets: [Target]
    public var findings: [Finding]

    /// Reads the results of `runner`'s study and writes `results.json` (atomically).
    @discardableResult
    public static func collect(_ runner: StudyRunner, seconds: Double) throws -> StudyResults {
        func read<T: Decodable>(_ type: T.Type, _ id: String) -> T? {
            guard let data = FileManager.default.contents(atPath: runner.resultDirectory(id) + "/result.json") else { return nil }
            return try? AnalysisFiles.decoder().decode(type, from: data)  // a NaN in a result must not read as "did not run"
        }
        func curve(_ node: StudyPlan.Node, kind: ModelRole) throws -> Curve {
            let directory = runner.runDirectory(node)
            return Curve(run: node.id, kind: kind, points: try RunResults.epochs(of: directory).map { [Double($0.step), $0.testAccuracy] })
        }
        var targets: [Target] = []
        for (index, target) in runner.study.targets.enumerated() {
            let name = StudyPlan.targetName(runner.study, index)
            let splits = try runner.targetData(index)
            let runs = runner.plan.nodes.filter { $0.target == index && ($0.kind == .fineTune || $0.kind == .fromScratch) }
            let curves = try runs.map { try curve($0, kind: $0.kind == .fineTune ? .fineTuned : .scratch) }
            var finals: [String: Double] = [:]
            for run in runs { finals[run.id] = try RunResults.summary(of: runner.runDirectory(run)).finalTestAccuracy }
            targets.append(Target(
                name: name, data: target.data, classes: splits.train.classNames, trainImages: splits.train.count, testImages: splits.test.count,
                curves: curves, finalAccuracy: finals, shuffle: read(ExperimentResult.self, name + "/shuffle"),
                mistakes: read(MistakesResult.self, name + "/mistakes"), cka: read([PairResult<FeatureSimilarity>].self, name + "/cka"),
                distances: read([PairResult<ParameterDistance>].self, name + "/distances"),
                interpolation: read([PairResult<InterpolationCurve>].self, name + "/interpolation"),
                criticality: read([PairResult<ModuleCriticality>].self, name + "/criticality"),
                checkpoints: read(ExperimentResult.self, name + "/checkpoints")))
        }
        guard let pretrain = runner.plan.node("pretrain") else {
            preconditionFailure("the plan of study \(runner.study.name) has no \"pretrain\" node; StudyPlan always adds one")
        }
        let source = try curve(pretrain, kind: .source)
        let results = StudyResults(
            study: runner.study, version: TransferscopeVersion.current, machine: .current(), seconds: seconds, source: source,
            sourceFinalAccuracy: try RunResults.summary(of: runner.runDirectory(pretrain)).finalTestAccuracy,
            targets: targets, findings: Finding.assess(targets))
        try AnalysisFiles.writeJSON(results, to: runner.directory, name: "results.json")
        return results
    }

    /// Reads `results.json` from a study directory.
    public static func load(from directory: String) throws -> StudyResults {
        let path = directory + "/results.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StudyError.unreadable(path: path, reason: "no such file; run the study first (transferscope study run)")
        }
        do { return try AnalysisFiles.decoder().decode(StudyResults.self, from: data) } catch {
            throw StudyError.invalid(path: path, line: nil, message: "does not parse as study results (\(error)); run the study again")
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
}
