import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeData
import TransferscopeNN
import TransferscopeTraining

@testable import TransferscopeAnalysis

/// Two small models with BatchNorm statistics of their own, and procedural images.
enum Pair {
    static let data = ProceduralDataset(side: 12, channels: 1, classes: 4, seed: 3).splits(train: 256, test: 96)
    static let preprocessing = Preprocessing(side: 12, channels: 1, normalization: .statistics(of: data.train))
    static let train = preprocessing.prepare(data.train)
    static let test = preprocessing.prepare(data.test)

    static func model(seed: UInt64) -> ResNet {
        var generator = RandomGenerator(seed: seed)
        let model = ResNet(
            ResNetConfiguration.named("resnet8", inputChannels: 1, classes: 4, widths: [4, 8, 8])!,
            generator: &generator)
        for start in [0, 64] {  // a little BatchNorm history
            _ = model.forward(BatchLoader.batch(train, indices: Array(start..<(start + 64))).inputs, training: true)
        }
        return model
    }
}

@Suite("Interpolation and barriers")
struct InterpolationTests {
    @Test(
        "A grid without 0, 1 or a point between them is refused, not reported as barrier 0",
        arguments: [
            [0.0, 1.0], [0.2, 0.5, 0.8], [0.0, 0.5], [-0.5, 0.0, 1.0, 1.5],
        ])
    func gridNeedsEndpointsAndInterior(_ lambdas: [Double]) {
        let interpolation = Interpolation(train: Pair.train, test: Pair.test, trainSubset: 16, batchSize: 16)
        #expect(throws: AnalysisError.self) {
            try interpolation.curve(Pair.model(seed: 1), Pair.model(seed: 2), lambdas: lambdas)
        }
    }

    @Test("The endpoints reproduce each checkpoint's own evaluation exactly")
    func endpoints() throws {
        let (a, b) = (Pair.model(seed: 1), Pair.model(seed: 2))
        for mode in BatchNormMode.allCases {
            let interpolation = Interpolation(
                train: Pair.train, test: Pair.test, trainSubset: 64, batchNorm: mode, estimationBatches: 2,
                batchSize: 32)
            let curve = try interpolation.curve(a, b, lambdas: [0, 0.5, 1])
            let ownA = try Evaluator.evaluate(a, on: Pair.test, batchSize: 32)
            let ownB = try Evaluator.evaluate(b, on: Pair.test, batchSize: 32)
            #expect(curve.endpoints[0].testLoss == ownA.loss && curve.endpoints[0].testAccuracy == ownA.accuracy)
            #expect(curve.endpoints[1].testLoss == ownB.loss && curve.endpoints[1].testAccuracy == ownB.accuracy)
            if mode == .interpolate {
                #expect(curve.points.first == curve.endpoints[0] && curve.points.last == curve.endpoints[1])
            }
        }
        // Computing the lambda = 0 point (rather than taking the checkpoint) gives the same numbers.
        let work = Pair.model(seed: 9)
        let interpolation = Interpolation(
            train: Pair.train, test: Pair.test, trainSubset: 64, batchNorm: .interpolate, batchSize: 32)
        interpolation.point(into: work, a, b, lambda: 0)
        #expect(try interpolation.evaluate(work, lambda: 0) == interpolation.evaluate(a, lambda: 0))
    }

    @Test("The folded inference path gives the reference path's curve within 1e-5", arguments: BatchNormMode.allCases)
    func foldedMatchesReference(mode: BatchNormMode) throws {
        let (a, b) = (Pair.model(seed: 1), Pair.model(seed: 2))
        let interpolation = Interpolation(
            train: Pair.train, test: Pair.test, trainSubset: 64, batchNorm: mode, estimationBatches: 2, batchSize: 32)
        func curve(_ path: InferencePath) throws -> InterpolationCurve {
            try InferencePath.$current.withValue(path) { try interpolation.curve(a, b, lambdas: [0, 0.25, 0.5, 1]) }
        }
        let (folded, reference) = (try curve(.folded), try curve(.reference))
        for (f, r) in zip(folded.points + folded.endpoints, reference.points + reference.endpoints) {
            #expect(abs(f.trainLoss - r.trainLoss) <= 1e-5 * r.trainLoss, "lambda \(r.lambda)")
            #expect(abs(f.testLoss - r.testLoss) <= 1e-5 * r.testLoss, "lambda \(r.lambda)")
            #expect(f.trainAccuracy == r.trainAccuracy && f.testAccuracy == r.testAccuracy, "lambda \(r.lambda)")
        }
    }

    @Test("The barrier between a model and itself is 0", arguments: [BatchNormMode.reestimate, .interpolate])
    func selfBarrier(mode: BatchNormMode) throws {
        let a = Pair.model(seed: 1)
        let interpolation = Interpolation(
            train: Pair.train, test: Pair.test, trainSubset: 64, batchNorm: mode, estimationBatches: 2, batchSize: 32)
        let curve = try interpolation.curve(a, a, lambdas: Interpolation.grid(count: 5))
        #expect(curve.testLossBarrier.height < 1e-5 && curve.trainLossBarrier.height < 1e-5, "\(curve.testLossBarrier)")
        #expect(curve.testErrorBarrier.height < 1e-9)
    }

    @Test("BatchNorm re-estimation changes only the running statistics")
    func reestimation() throws {
        let model = Pair.model(seed: 4)
        let before = StateDict.entries(of: model.namedState)
        WeightSpace.reestimateBatchNorm(model, images: Pair.train, batches: 3, batchSize: 32)
        let after = StateDict.entries(of: model.namedState)
        for (key, value) in before {
            let isStatistic = key.hasSuffix("running_mean") || key.hasSuffix("running_var")
            #expect((after[key] == value) != isStatistic, "\(key)")
        }
        // The statistics are the exact average over the batches: a second re-estimation repeats them.
        WeightSpace.reestimateBatchNorm(model, images: Pair.train, batches: 3, batchSize: 32)
        #expect(StateDict.entries(of: model.namedState) == after)
        #expect(model.batchNorms.allSatisfy { $0.momentum == 0.1 })
    }

    @Test("Barrier height: the largest excess over the chord, inside [0, 1] only")
    func barrier() {
        let losses: [(Double, Double)] = [(-0.5, 9), (0, 1), (0.25, 2.5), (0.5, 2), (0.75, 1.5), (1, 2), (1.5, 9)]
        let points = losses.map {
            CurvePoint(lambda: $0.0, trainLoss: $0.1, trainAccuracy: 0, testLoss: $0.1, testAccuracy: 0)
        }
        let barrier = Barrier.of(points) { $0.testLoss }
        #expect(abs(barrier.height - 1.25) < 1e-12 && barrier.lambda == 0.25)
        #expect(Interpolation.grid(count: 5) == [0, 0.25, 0.5, 0.75, 1])
        #expect(Interpolation.grid(count: 3, from: -0.5, to: 1.5) == [-0.5, 0.5, 1.5])
    }
}

@Suite("Module criticality")
struct CriticalityTests {
    @Test("Rewinding an unchanged module has no effect; alpha = 1 without noise is the final model")
    func invariants() throws {
        let start = Pair.model(seed: 1)
        let final = Pair.model(seed: 2)
        // The stem never moved: the final model keeps the start's stem.
        for (f, s) in zip(final.modules[0].state.parameters, start.modules[0].state.parameters) {
            f.parameter.value = s.parameter.value
        }
        for (f, s) in zip(final.modules[0].state.buffers, start.modules[0].state.buffers) {
            f.buffer.value = s.buffer.value
        }
        let data = EvaluationSet(Pair.train, indices: Array(0..<96), batchSize: 32)
        let result = try ModuleCriticality.measure(
            final: final, start: start, data: data, alphas: [0, 0.5, 1], sigmas: [0.1, 1], samples: 2)
        let stem = result.modules[0]
        #expect(stem.name == "stem" && stem.distance == 0)
        #expect(stem.rewindError == result.finalError && stem.criticality == 0)
        for module in result.modules { #expect(module.errorAlongAlpha.last == result.finalError, "\(module.name)") }
        #expect(result.modules.map(\.name) == ["stem", "layer1.0", "layer2.0", "layer3.0", "fc"])
        #expect(result.modules.dropFirst().allSatisfy { $0.distance > 0 })
        // The model is left final: measuring again gives the same numbers.
        let again = try ModuleCriticality.measure(
            final: final, start: start, data: data, alphas: [0, 0.5, 1], sigmas: [0.1, 1], samples: 2)
        #expect(again == result)
        #expect(throws: AnalysisError.self) {
            try ModuleCriticality.measure(final: final, start: start, data: data, alphas: [0.5, 1])
        }
    }

    @Test("The folded path, which evaluates each module's input once, measures what the reference path measures")
    func foldedMatchesReference() throws {
        let (start, final) = (Pair.model(seed: 1), Pair.model(seed: 2))
        let data = EvaluationSet(Pair.train, indices: Array(0..<96), batchSize: 32)
        func measure(_ path: InferencePath) throws -> ModuleCriticality {
            try InferencePath.$current.withValue(path) {
                try ModuleCriticality.measure(
                    final: final, start: start, data: data, alphas: [0, 0.5, 1], sigmas: [0.1, 1], samples: 2)
            }
        }
        let (folded, reference) = (try measure(.folded), try measure(.reference))
        #expect(folded == reference)
        #expect(data.entering(module: 2, of: final)?.module == 2)
        #expect(data.entering(module: 2, of: final, byteLimit: 1_000) == nil)
    }
}

@Suite("Basins and Bezier curves")
struct BasinAndBezierTests {
    @Test("Width: where a parabola stays within the tolerance; grid ends bound it")
    func width() {
        let steps = Interpolation.grid(count: 41, from: -1, to: 1)
        let values = steps.map { $0 * $0 }
        #expect(abs(BasinWidth.width(steps: steps, values: values, tolerance: 0.25) - 1) < 0.01)
        #expect(BasinWidth.width(steps: steps, values: steps.map { _ in 1 }, tolerance: 0.1) == 2)
    }

    @Test("Random directions are filter-normalized and skip 1-D parameters")
    func directions() throws {
        let model = Pair.model(seed: 5)
        let direction = BasinWidth.filterNormalizedDirection(for: model, seed: RandomGenerator(seed: 1))
        for (entry, d) in zip(model.namedState.parameters, direction) {
            let value = entry.parameter.value
            guard let d else {
                #expect(value.shape.count == 1, "\(entry.name)")
                continue
            }
            let outputs = entry.parameter.layout == .convolutionHWIO ? value.shape.last! : value.shape[0]
            let perFilter = value.count / outputs
            for filter in [0, outputs - 1] {
                var normD = 0.0
                var normW = 0.0
                for j in 0..<perFilter {
                    let i = entry.parameter.layout == .convolutionHWIO ? j * outputs + filter : filter * perFilter + j
                    normD += Double(d[i] * d[i])
                    normW += Double(value[flat: i] * value[flat: i])
                }
                #expect(
                    abs(normD.squareRoot() - normW.squareRoot()) < 1e-4 * max(1, normW.squareRoot()), "\(entry.name)")
            }
        }
        let data = EvaluationSet(Pair.test, batchSize: 32)
        let basin = try BasinWidth.randomDirections(
            model, data: data, statistics: nil, count: 2, steps: [-0.5, 0, 0.5], tolerance: 0.5)
        let ownLoss = try data.evaluate(model).loss
        #expect(basin.directions.count == 2 && basin.directions.allSatisfy { $0.losses[1] == ownLoss })
    }

    @Test("The Bezier curve joins the endpoints, and training its control point lowers the loss along it")
    func bezier() throws {
        let (a, b) = (Pair.model(seed: 1), Pair.model(seed: 2))
        let curve = try BezierCurve(a, b)
        var generator = RandomGenerator(seed: 0)
        let work = ResNet(a.configuration, generator: &generator)
        curve.point(into: work, t: 0)
        #expect(work.namedState.parameters.map(\.parameter.value) == a.namedState.parameters.map(\.parameter.value))
        curve.point(into: work, t: 1)
        #expect(work.namedState.parameters.map(\.parameter.value) == b.namedState.parameters.map(\.parameter.value))
        let losses = curve.train(on: Pair.train, epochs: 4, batchSize: 32, learningRate: 0.05)
        #expect(losses.last! < losses.first!, "\(losses)")
        let interpolation = Interpolation(
            train: Pair.train, test: Pair.test, trainSubset: 64, batchNorm: .reestimate, estimationBatches: 2,
            batchSize: 32)
        let evaluated = try curve.evaluate(at: [0, 0.5, 1], with: interpolation)
        #expect(evaluated.points.count == 3 && evaluated.points.allSatisfy { $0.testLoss.isFinite })
    }
}
