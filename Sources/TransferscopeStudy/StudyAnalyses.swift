import Foundation
import TransferscopeAnalysis
import TransferscopeCheckpoints
import TransferscopeData
import TransferscopeNN
import TransferscopeTraining

/// One pair of models compared by an analysis, the kind of pair, and what it measured.
public struct PairResult<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    /// What the pair compares.
    public var kind: PairKind
    /// The first run's id (`P` for the pre-trained model).
    public var a: String
    /// The second run's id (`start` for the first run's own start).
    public var b: String
    /// The analysis's result for the pair.
    public var value: Value

    /// The result `value` of `pair`.
    public init(_ pair: RunPair, _ value: Value) {
        kind = pair.kind
        a = pair.a
        b = pair.b
        self.value = value
    }
}

/// The mistakes of one target: every pair's table, and the accuracy of each run.
public struct MistakesResult: Codable, Sendable, Equatable {
    /// Test accuracy of each run, by node id (e.g. `clipart/PT-s0`), in [0, 1].
    public var accuracies: [String: Double]
    /// The mistake table of each compared pair of runs.
    public var pairs: [PairResult<MistakeTable>]
    /// Whether each pair's ambiguity was scored by the models outside the pair (false: by every
    /// model, when the study has no other); nil in results before 0.4.0.
    public var ambiguityFromOutside: Bool?
}

/// The analyses of a study that read finished runs.
enum StudyAnalyses {
    static func run(_ node: StudyPlan.Node, runner: StudyRunner) throws {
        guard let index = node.target else { preconditionFailure("an analysis node has a target") }
        let splits = try runner.targetData(index)
        let analyses = runner.study.analyses(for: runner.study.targets[index])
        let pairs = RunPairs.paper(fineTuned: runner.runs(index, .fineTune), scratch: runner.runs(index, .fromScratch))
        let pt = runner.runs(index, .fineTune)
        let rit = runner.runs(index, .fromScratch)
        let sameInit = runner.runs(index, .fromScratchSameInit)
        let output = runner.resultDirectory(node.id)
        var models: [String: ResNet] = [:]
        func model(_ id: String) throws -> ResNet {
            if let cached = models[id] { return cached }
            let loaded = try LoadedModel(id == "P" ? runner.sourceCheckpoint : runner.checkpoint(id))
            guard loaded.preprocessing == (try runner.source().preprocessing) else {
                throw StudyError.invalid(
                    path: loaded.path, line: nil,
                    message: "it records other inputs than P; remove the run and run the study again")
            }
            models[id] = loaded.model
            return loaded.model
        }
        func startModel(_ id: String) throws -> ResNet { try Checkpoint.loadModel(from: runner.startCheckpoint(id)) }
        let preprocessing = try runner.source().preprocessing
        let test = preprocessing.prepare(splits.test)
        switch node.kind {
        case .domain:
            // P's view of the source's test images against the target's.
            let settings = analyses.domain
            let value = try DomainDistance.compute(
                try model("P"),
                sourceTest: preprocessing.prepare(try runner.sourceData(for: "the domain distance").test),
                targetTrain: preprocessing.prepare(try runner.targetTrainImages(index)), targetTest: test,
                maximumImages: settings.images, resamples: settings.resamples)
            try AnalysisFiles.writeJSON(value, to: output, name: "result.json")
        case .mistakes:
            var predictions: [String: [Int]] = [:]
            var probabilities: [String: [[Float]]] = [:]
            var accuracies: [String: Double] = [:]
            for id in pt + rit {
                let evaluation = try Evaluator.evaluate(try model(id), on: test, keepProbabilities: true)
                predictions[id] = evaluation.predictions
                probabilities[id] = evaluation.probabilities
                accuracies[id] = evaluation.accuracy
            }
            // A pair's samples are scored by the models outside it, so that the more accurate model's
            // own errors do not make "its" cell look ambiguous; with no model outside, by all of them.
            let everyone = pt + rit
            var scoredOutside = true
            let tables = try pairs.map { pair -> (PairResult<MistakeTable>, [Double]) in
                var scorers = everyone.filter { $0 != pair.a && $0 != pair.b }
                if scorers.isEmpty {
                    scorers = everyone
                    scoredOutside = false
                }
                let ambiguity = try Mistakes.ambiguity(of: scorers.map { probabilities[$0, default: []] })
                let table = try Mistakes.compare(
                    predictions[pair.a, default: []], predictions[pair.b, default: []], labels: test.labels,
                    ambiguity: ambiguity)
                return (PairResult(pair, table), ambiguity)
            }
            try AnalysisFiles.writeJSON(
                MistakesResult(accuracies: accuracies, pairs: tables.map(\.0), ambiguityFromOutside: scoredOutside),
                to: output, name: "result.json")
            // Grids of the P-T/RI-T cells of the first seed: the most ambiguous samples, and typical ones.
            if let (pair, ambiguity) = tables.first(where: { $0.0.kind == .fineTunedAndScratch }) {
                for choice in [Mistakes.GridChoice.mostAmbiguous, .typical] {
                    try Mistakes.writeGrids(
                        pair.value, of: splits.test,
                        predictions: (predictions[pair.a, default: []], predictions[pair.b, default: []]),
                        ambiguity: ambiguity, names: ("PT", "RIT"), letters: ("P", "R"), perCell: 16, choice: choice,
                        to: output)
                }
            }
        case .cka:
            guard let settings = analyses.cka else { return }
            var images = test
            if let count = settings.images, count < splits.test.count {
                images = preprocessing.prepare(Split.subsample(splits.test, count: count, seed: 0))
            }
            let kernel = settings.kernel.kernel(bandwidth: settings.bandwidth)
            var results: [PairResult<FeatureSimilarity>] = []
            for pair in pt.map({ RunPair(.sourceAndFineTuned, "P", $0) }) + pairs {
                let (modelA, modelB) = (try model(pair.a), try model(pair.b))
                // P's head has the source's classes; the pool and stage outputs compare, its logits do not.
                let layers = FeatureSimilarity.defaultLayers(of: modelA, everyBlock: settings.everyBlock)
                let value = try FeatureSimilarity.compute(
                    modelA, modelB, images: images, layersA: layers, layersB: layers, kernel: kernel,
                    debiased: settings.debiased)
                results.append(PairResult(pair, value))
            }
            try AnalysisFiles.writeJSON(results, to: output, name: "result.json")
        case .distances:
            var results: [PairResult<ParameterDistance>] = []
            for pair in pairs + RunPairs.sameInitialization(sameInit) {
                results.append(PairResult(pair, try ParameterDistance.between(try model(pair.a), try model(pair.b))))
            }
            // Each run to its own start (its epoch-0 checkpoint: P with the new head, or the random initialization).
            for pair in RunPairs.starts(fineTuned: pt, scratch: rit, sameInitialization: sameInit) {
                results.append(
                    PairResult(pair, try ParameterDistance.between(try model(pair.a), try startModel(pair.a))))
            }
            try AnalysisFiles.writeJSON(results, to: output, name: "result.json")
        case .interpolation:
            guard let settings = analyses.interpolation else { return }
            let interpolation = Interpolation(
                train: preprocessing.prepare(try runner.targetTrainImages(index)), test: test,
                trainSubset: settings.trainImages,
                batchNorm: settings.batchNorm, estimationBatches: settings.batchNormBatches)
            var results: [PairResult<InterpolationCurve>] = []
            for pair in pairs + RunPairs.sameInitialization(sameInit) {
                results.append(
                    PairResult(
                        pair,
                        try interpolation.curve(
                            try model(pair.a), try model(pair.b), lambdas: Interpolation.grid(count: settings.points))))
            }
            try AnalysisFiles.writeJSON(results, to: output, name: "result.json")
        case .criticality:
            guard let settings = analyses.criticality else { return }
            let train = Split.subsample(try runner.targetTrainImages(index), count: settings.trainImages, seed: 0)
            let data = EvaluationSet(preprocessing.prepare(train))
            var results: [PairResult<ModuleCriticality>] = []
            // The start of each run is its epoch-0 checkpoint: P with the new head for P-T, the random initialization
            // for RI-T.
            // Every seed's runs, so that the depth trend has an interval over seeds.
            for (kind, id) in pt.map({ (PairKind.fineTuned, $0) }) + rit.map({ (PairKind.scratch, $0) }) {
                let value = try ModuleCriticality.measure(
                    final: try model(id), start: try startModel(id), data: data,
                    alphas: Interpolation.grid(count: settings.alphas),
                    sigmas: settings.sigmas, samples: settings.samples, tolerance: settings.tolerance)
                results.append(PairResult(RunPair(kind, id, "start"), value))
            }
            try AnalysisFiles.writeJSON(results, to: output, name: "result.json")
        default:
            return
        }
    }
}
