import Foundation
import TransferscopeAnalysis
import TransferscopeCheckpoints
import TransferscopeData
import TransferscopeNN
import TransferscopeTraining

/// One pair of models compared by an analysis, and the kind of pair (P/P-T, P-T/P-T, P-T/RI-T, RI-T/RI-T).
public struct PairResult<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var kind: String
    public var a: String
    public var b: String
    public var value: Value
}

/// The mistakes of one target: every pair's table, and the accuracy of each run.
public struct MistakesResult: Codable, Sendable, Equatable {
    public var accuracies: [String: Double]
    public var pairs: [PairResult<MistakeTable>]
}

/// The analyses of a study that read finished runs.
enum StudyAnalyses {
    /// The pairs of kinds the paper compares, from the run ids of one target (seed order).
    static func pairs(pt: [String], rit: [String]) -> [(kind: String, a: String, b: String)] {
        var result: [(String, String, String)] = []
        for i in 0..<pt.count { for j in (i + 1)..<pt.count { result.append(("P-T/P-T", pt[i], pt[j])) } }
        for (a, b) in zip(pt, rit) { result.append(("P-T/RI-T", a, b)) }
        for i in 0..<rit.count { for j in (i + 1)..<rit.count { result.append(("RI-T/RI-T", rit[i], rit[j])) } }
        return result
    }

    static func run(_ node: StudyPlan.Node, runner: StudyRunner) throws {
        let index = node.target!
        let splits = try runner.targetData(index)
        let pt = runner.runs(index, .fineTune), rit = runner.runs(index, .fromScratch)
        let output = runner.resultDirectory(node.id)
        var models: [String: ResNet] = [:]
        func model(_ id: String) throws -> ResNet {
            if let cached = models[id] { return cached }
            let loaded = try Checkpoint.loadModel(from: id == "P" ? runner.sourceCheckpoint : runner.checkpoint(id))
            models[id] = loaded
            return loaded
        }
        func startModel(_ id: String) throws -> ResNet {
            try Checkpoint.loadModel(from: runner.runDirectory(runner.plan.node(id)!) + "/checkpoints/epoch-0000.safetensors")
        }
        let preprocessing = try ModelInput.preprocessing(ofCheckpoint: runner.sourceCheckpoint)
        let test = preprocessing.prepare(splits.test)
        switch node.kind {
        case .mistakes:
            var predictions: [String: [Int]] = [:], probabilities: [[[Float]]] = [], accuracies: [String: Double] = [:]
            for id in pt + rit {
                let evaluation = try Evaluator.evaluate(try model(id), on: test, keepProbabilities: true)
                predictions[id] = evaluation.predictions
                probabilities.append(evaluation.probabilities)
                accuracies[id] = evaluation.accuracy
            }
            let ambiguity = try Mistakes.ambiguity(of: probabilities)
            let tables = try pairs(pt: pt, rit: rit).map { pair in
                PairResult(kind: pair.kind, a: pair.a, b: pair.b,
                           value: try Mistakes.compare(predictions[pair.a]!, predictions[pair.b]!, labels: test.labels, ambiguity: ambiguity))
            }
            try AnalysisFiles.writeJSON(MistakesResult(accuracies: accuracies, pairs: tables), to: output, name: "result.json")
            // Grids of the P-T/RI-T cells of the first seed, the most ambiguous samples first.
            if let pair = tables.first(where: { $0.kind == "P-T/RI-T" }) {
                let names = ["both-right", "only-PT-right", "only-RIT-right", "both-wrong"]
                for (cell, members) in zip(names, pair.value.samples) where !members.isEmpty {
                    let chosen = Array(members.sorted { ambiguity[$0] > ambiguity[$1] }.prefix(16))
                    try ImageGrid.writeSamples(
                        splits.test, indices: chosen,
                        captions: chosen.map { "T\(test.labels[$0]) P\(predictions[pair.a]![$0]) R\(predictions[pair.b]![$0])" },
                        to: output + "/\(cell).png", columns: 8)
                }
            }
        case .cka:
            guard let settings = runner.study.analyses.cka else { return }
            var images = test
            if let count = settings.images, count < splits.test.count {
                images = preprocessing.prepare(Split.subsample(splits.test, count: count, seed: 0))
            }
            let kernel: CKA.Kernel = settings.kernel == "rbf" ? .rbf(bandwidthFraction: settings.bandwidth) : .linear
            var results: [PairResult<FeatureSimilarity>] = []
            let all = pt.map { ("P/P-T", "P", $0) } + pairs(pt: pt, rit: rit)
            for (kind, a, b) in all {
                let (modelA, modelB) = (try model(a), try model(b))
                // P's head has the source's classes; the pool and stage outputs compare, its logits do not.
                let layers = FeatureSimilarity.defaultLayers(of: modelA, everyBlock: settings.everyBlock)
                let value = try FeatureSimilarity.compute(
                    modelA, modelB, images: images, layersA: layers, layersB: layers, kernel: kernel, debiased: settings.debiased)
                results.append(PairResult(kind: kind, a: a, b: b, value: value))
            }
            try AnalysisFiles.writeJSON(results, to: output, name: "result.json")
        case .distances:
            var results: [PairResult<ParameterDistance>] = []
            for (kind, a, b) in pairs(pt: pt, rit: rit) {
                results.append(PairResult(kind: kind, a: a, b: b, value: try ParameterDistance.between(try model(a), try model(b))))
            }
            // Each run to its own start (its epoch-0 checkpoint: P with the new head, or the random initialization).
            for id in pt { results.append(PairResult(kind: "P-T/start", a: id, b: "start", value: try ParameterDistance.between(try model(id), try startModel(id)))) }
            for id in rit { results.append(PairResult(kind: "RI-T/start", a: id, b: "start", value: try ParameterDistance.between(try model(id), try startModel(id)))) }
            try AnalysisFiles.writeJSON(results, to: output, name: "result.json")
        case .interpolation:
            guard let settings = runner.study.analyses.interpolation else { return }
            let interpolation = Interpolation(
                train: preprocessing.prepare(splits.train), test: test, trainSubset: settings.trainImages,
                batchNorm: BatchNormMode(rawValue: settings.batchNorm) ?? .reestimate, estimationBatches: settings.batchNormBatches)
            var results: [PairResult<InterpolationCurve>] = []
            for (kind, a, b) in pairs(pt: pt, rit: rit) {
                results.append(PairResult(kind: kind, a: a, b: b, value: try interpolation.curve(
                    try model(a), try model(b), lambdas: Interpolation.grid(count: settings.points))))
            }
            try AnalysisFiles.writeJSON(results, to: output, name: "result.json")
        case .criticality:
            guard let settings = runner.study.analyses.criticality else { return }
            let train = Split.subsample(splits.train, count: settings.trainImages, seed: 0)
            let data = EvaluationSet(preprocessing.prepare(train))
            var results: [PairResult<ModuleCriticality>] = []
            // The start of each run is its epoch-0 checkpoint: P with the new head for P-T, the random initialization for RI-T.
            for (kind, id) in [("P-T", pt.first), ("RI-T", rit.first)] {
                guard let id else { continue }
                let value = try ModuleCriticality.measure(
                    final: try model(id), start: try startModel(id), data: data, alphas: Interpolation.grid(count: settings.alphas),
                    sigmas: settings.sigmas, samples: settings.samples, tolerance: settings.tolerance)
                results.append(PairResult(kind: kind, a: id, b: "start", value: value))
            }
            try AnalysisFiles.writeJSON(results, to: output, name: "result.json")
        default:
            return
        }
    }
}
