import Foundation
import Testing
import TransferscopeAnalysis
import TransferscopeCheckpoints

@testable import transferscope

/// `eval --split SPLIT` of `checkpoint` on the tiny data: (accuracy, loss, predictions).
func evaluation(_ checkpoint: String, split: String = "test") throws -> (
    accuracy: Double, loss: Double, predictions: [Int]
) {
    let out = try temporaryDirectory("eval")
    defer { try? FileManager.default.removeItem(atPath: out) }
    try CLI.run(["eval", checkpoint, "--data", TrainedRuns.data, "--split", split, "--out", out])
    let report = try jsonObject(out + "/eval.json")
    let predictions = try csvRows(out + "/predictions.csv").dropFirst().map { try #require(Int($0[2])) }
    return (try #require(report["accuracy"] as? Double), try #require(report["loss"] as? Double), predictions)
}

/// |x - y| within `tolerance` relative to the larger magnitude (at least 1).
func close(_ x: Double, _ y: Double, _ tolerance: Double = 1e-6) -> Bool {
    abs(x - y) <= tolerance * max(1, abs(x), abs(y))
}

extension CLITests {
    @Suite("analyze on two checkpoints")
    struct Analyze {
        let runs: TrainedRuns
        let out: String
        init() throws {
            runs = try TrainedRuns.get()
            out = try temporaryDirectory("analyze")
        }

        @Test("distance: per module and in all as computed from the files; a checkpoint is 0 from itself")
        func distance() throws {
            defer { try? FileManager.default.removeItem(atPath: out) }
            let (a, b) = (runs.final(runs.first), runs.final(runs.second))
            try CLI.run(["analyze", "distance", a, b, "--out", out + "/ab"])
            let result = try decode(ParameterDistance.self, out + "/ab/distance.json")
            let expected = try Reference.squaredDistances(a, b)
            #expect(result.modules.map(\.name) == ["stem", "layer1.0", "layer2.0", "layer3.0", "fc"])
            #expect(Set(result.modules.map(\.name)) == Set(expected.keys))
            for module in result.modules {
                #expect(
                    close(module.distance * module.distance, try #require(expected[module.name]), 1e-9),
                    "\(module.name)")
            }
            #expect(close(result.total * result.total, expected.values.reduce(0, +), 1e-9))
            #expect(
                close(result.total * result.total, result.modules.reduce(0) { $0 + $1.distance * $1.distance }, 1e-12))
            #expect(close(result.referenceNorm * result.referenceNorm, try Reference.squaredNorm(b), 1e-9))
            let csv = try csvRows(out + "/ab/distance.csv")
            #expect(csv.first == ["module", "distance", "reference_norm", "relative"])
            #expect(csv.dropFirst().map { $0[0] } == result.modules.map(\.name) + ["total"])
            #expect(
                try number(csv.last![1]) == result.total && number(csv.last![3]) == result.total / result.referenceNorm)

            try CLI.run(["analyze", "distance", a, a, "--buffers", "--out", out + "/aa"])
            let same = try decode(ParameterDistance.self, out + "/aa/distance.json")
            #expect(same.total == 0 && same.modules.allSatisfy { $0.distance == 0 })
            #expect(same.referenceNorm > result.referenceNorm, "--buffers adds the running statistics to the norm")
        }

        @Test("domain: the source's own data is at distance 0, a shifted target farther, with both measures recorded")
        func domain() throws {
            defer { try? FileManager.default.removeItem(atPath: out) }
            let p = runs.final(runs.first)
            try CLI.run([
                "analyze", "domain", p, "--source-data", TrainedRuns.data, "--data", TrainedRuns.data, "--resamples",
                "20", "--out", out + "/own",
            ])
            try CLI.run([
                "analyze", "domain", p, "--source-data", TrainedRuns.data, "--data", TrainedRuns.target, "--per-class",
                "8", "--resamples", "20", "--out", out + "/far",
            ])
            let own = try decode(DomainDistance.self, out + "/own/domain.json")
            let far = try decode(DomainDistance.self, out + "/far/domain.json")
            #expect(abs(own.frechet) < 1e-9 && own.sourceImages == TrainedRuns.testImages)
            #expect(far.frechet > 100 * max(abs(own.frechet), 1e-12) && far.frechetLower <= far.frechetUpper)
            #expect(far.probeTrainImages == 24 && far.classes == 3 && far.resamples == 20)
            #expect(throws: (any Error).self) {
                try CLI.run([
                    "analyze", "domain", p, "--source-data", TrainedRuns.data, "--data", TrainedRuns.data,
                    "--resamples", "0", "--out", out + "/bad",
                ])
            }
        }

        @Test("cka: a model against itself is 1 on the diagonal; A against B is B against A transposed")
        func cka() throws {
            defer { try? FileManager.default.removeItem(atPath: out) }
            let (a, b) = (runs.final(runs.first), runs.final(runs.second))
            let data = ["--data", TrainedRuns.data, "--batch-size", "16"]
            try CLI.run(["analyze", "cka", "--a", a, "--b", a] + data + ["--out", out + "/aa"])
            try CLI.run(["analyze", "cka", "--a", a, "--b", b] + data + ["--out", out + "/ab"])
            try CLI.run(["analyze", "cka", "--a", b, "--b", a] + data + ["--out", out + "/ba"])
            let (aa, ab, ba) = (
                try decode(FeatureSimilarity.self, out + "/aa/cka.json"),
                try decode(FeatureSimilarity.self, out + "/ab/cka.json"),
                try decode(FeatureSimilarity.self, out + "/ba/cka.json")
            )
            let layers = ["stem", "layer1", "layer2", "layer3", "pool"]
            #expect(aa.layersA == layers && aa.layersB == layers && aa.samples == TrainedRuns.testImages && aa.debiased)
            for i in layers.indices {
                #expect(abs(aa.values[i][i] - 1) <= 1e-6, "\(layers[i])")
                for j in layers.indices { #expect(close(aa.values[i][j], aa.values[j][i], 1e-6), "\(i), \(j)") }
            }
            for i in layers.indices {
                for j in layers.indices { #expect(close(ab.values[i][j], ba.values[j][i], 1e-6), "\(i), \(j)") }
            }
            #expect(
                ab.values.joined().contains { abs($0 - 1) > 1e-3 },
                "two different models are not identical in every layer")
            let csv = try csvRows(out + "/ab/cka.csv")
            #expect(csv.first == ["layer"] + layers && csv.dropFirst().map { $0[0] } == layers)
            #expect(try csv.dropFirst().map { try $0.dropFirst().map { try number($0) } } == ab.values)
        }

        @Test(
            """
            interpolate: a checkpoint with itself is flat with no barrier; A to B extrapolated agrees with eval and \
            its own barrier
            """
        )
        func interpolate() throws {
            defer { try? FileManager.default.removeItem(atPath: out) }
            let (a, b) = (runs.final(runs.first), runs.final(runs.second))
            let path = ["--data", TrainedRuns.data, "--train-images", "64", "--bn-batches", "1", "--batch-size", "32"]
            try CLI.run(
                ["analyze", "interpolate", a, a, "--points", "5", "--bn", "interpolate"] + path + [
                    "--out", out + "/aa",
                ])
            let flat = try decode(InterpolationCurve.self, out + "/aa/curve-1-2.json")
            #expect(flat.points.map(\.lambda) == [0, 0.25, 0.5, 0.75, 1])
            for point in flat.points {
                #expect(
                    close(point.testLoss, flat.points[0].testLoss) && close(point.trainLoss, flat.points[0].trainLoss),
                    "\(point.lambda)")
                #expect(
                    point.testAccuracy == flat.points[0].testAccuracy
                        && point.trainAccuracy == flat.points[0].trainAccuracy)
            }
            #expect(
                flat.testLossBarrier.height <= 1e-6 && flat.trainLossBarrier.height <= 1e-6
                    && flat.testErrorBarrier.height == 0)

            try CLI.run(
                [
                    "analyze", "interpolate", a, b, "--points", "3", "--from", "-0.5", "--to", "1.5", "--bn",
                    "interpolate",
                ] + path
                    + ["--out", out + "/ab"])
            let curve = try decode(InterpolationCurve.self, out + "/ab/curve-1-2.json")
            #expect(curve.points.map(\.lambda) == [-0.5, 0, 0.5, 1, 1.5])
            #expect(curve.points[1] == curve.endpoints[0] && curve.points[3] == curve.endpoints[1])
            for (endpoint, checkpoint) in zip(curve.endpoints, [a, b]) {
                let test = try evaluation(checkpoint)
                let train = try evaluation(checkpoint, split: "train")
                #expect(endpoint.testAccuracy == test.accuracy && close(endpoint.testLoss, test.loss), "\(checkpoint)")
                #expect(
                    endpoint.trainAccuracy == train.accuracy && close(endpoint.trainLoss, train.loss), "\(checkpoint)")
            }
            let lambdas = curve.points.map(\.lambda)
            #expect(
                close(
                    curve.testLossBarrier.height,
                    try Reference.barrier(lambdas: lambdas, values: curve.points.map(\.testLoss)), 1e-12))
            #expect(
                close(
                    curve.trainLossBarrier.height,
                    try Reference.barrier(lambdas: lambdas, values: curve.points.map(\.trainLoss)), 1e-12))
            #expect(
                close(
                    curve.testErrorBarrier.height,
                    try Reference.barrier(lambdas: lambdas, values: curve.points.map { 1 - $0.testAccuracy }), 1e-12))
            let csv = try csvRows(out + "/ab/curve-1-2.csv")
            #expect(csv.first == ["lambda", "train_loss", "train_accuracy", "test_loss", "test_accuracy"])
            #expect(
                try csv.dropFirst().map { try $0.map { try number($0) } }
                    == curve.points.map { [$0.lambda, $0.trainLoss, $0.trainAccuracy, $0.testLoss, $0.testAccuracy] })
            let barriers = try jsonObject(out + "/ab/barriers.json")
            #expect(barriers["pairs"] as? [[String]] == [[a, b]])
            // Read by JSONDecoder, as `curve` was (see `exactNumber`).
            struct Barriers: Decodable { var testLossBarriers: [Double] }
            #expect(
                try decode(Barriers.self, out + "/ab/barriers.json").testLossBarriers == [curve.testLossBarrier.height])
            let widths = try #require((barriers["basinWidths"] as? [[Double]])?.first)
            let trainLosses = curve.points.map(\.trainLoss)
            #expect(
                close(widths[0], try Reference.basinWidth(steps: lambdas, values: trainLosses, tolerance: 0.1), 1e-12))
            #expect(
                close(
                    widths[1],
                    try Reference.basinWidth(steps: lambdas.map { 1 - $0 }, values: trainLosses, tolerance: 0.1), 1e-12)
            )
        }

        @Test(
            """
            bezier: the curve's points, its line equal to interpolate's, its ends the checkpoints, a loadable control \
            point
            """
        )
        func bezier() throws {
            defer { try? FileManager.default.removeItem(atPath: out) }
            let (a, b) = (runs.final(runs.first), runs.final(runs.second))
            let path = [
                "--data", TrainedRuns.data, "--train-images", "64", "--bn", "interpolate", "--batch-size", "32",
            ]
            try CLI.run(
                ["analyze", "bezier", a, b, "--epochs", "1", "--points", "3"] + path + ["--out", out + "/bezier"])
            try CLI.run(["analyze", "interpolate", a, b, "--points", "3"] + path + ["--out", out + "/line"])
            let (onCurve, onLine) = (
                try decode(InterpolationCurve.self, out + "/bezier/bezier.json"),
                try decode(InterpolationCurve.self, out + "/bezier/line.json")
            )
            let reference = try decode(InterpolationCurve.self, out + "/line/curve-1-2.json")
            #expect(onCurve.points.map(\.lambda) == [0, 0.5, 1] && onLine.points == reference.points)
            // The curve passes through both checkpoints.
            for k in [0, 2] {
                #expect(
                    close(onCurve.points[k].testLoss, onLine.points[k].testLoss)
                        && onCurve.points[k].testAccuracy == onLine.points[k].testAccuracy)
            }
            #expect(onCurve.points[1] != onLine.points[1], "a trained control point leaves the line")
            let control = try Checkpoint.loadModel(from: out + "/bezier/control.safetensors")
            #expect(control.configuration == (try Checkpoint.loadModel(from: a)).configuration)
            #expect(try csvRows(out + "/bezier/bezier.csv").count == 4)
        }

        @Test(
            "basin: the promised points per direction, the loss at t = 0 the checkpoint's own, widths from the losses")
        func basin() throws {
            defer { try? FileManager.default.removeItem(atPath: out) }
            let a = runs.final(runs.first)
            try CLI.run([
                "analyze", "basin", a, "--directions", "2", "--steps", "5", "--radius", "0.5", "--tolerance", "0.03",
                "--bn", "first",
                "--train-images", "64", "--data", TrainedRuns.data, "--out", out,
            ])
            let result = try decode(BasinWidth.self, out + "/basin.json")
            let own = try evaluation(a, split: "train")
            #expect(result.directions.count == 2 && result.tolerance == 0.03)
            for direction in result.directions {
                #expect(
                    direction.steps == [-0.5, -0.25, 0, 0.25, 0.5] && direction.losses.count == 5
                        && direction.accuracies.count == 5)
                #expect(close(direction.losses[2], own.loss) && direction.accuracies[2] == own.accuracy)
                // The loss leaves the tolerance inside the radius, so the width interpolates a crossing.
                try #require(direction.width < 1)
                #expect(
                    close(
                        direction.width,
                        try Reference.basinWidth(steps: direction.steps, values: direction.losses, tolerance: 0.03),
                        1e-12))
            }
            #expect(result.directions[0].losses != result.directions[1].losses, "two directions are drawn")
            #expect(close(result.meanWidth, result.directions.map(\.width).reduce(0, +) / 2, 1e-12))
            let csv = try csvRows(out + "/basin.csv")
            #expect(csv.first == ["direction", "t", "train_loss", "train_accuracy"] && csv.count == 1 + 2 * 5)
        }

        @Test(
            """
            criticality: the error along alpha ends at the final error, distances from the files, mu = alpha^2 d^2 / \
            sigma^2
            """
        )
        func criticality() throws {
            defer { try? FileManager.default.removeItem(atPath: out) }
            let (final, start) = (runs.final(runs.first), runs.start(runs.first))
            try CLI.run([
                "analyze", "criticality", final, "--start", start, "--alphas", "3", "--sigmas", "0.5,1", "--samples",
                "1",
                "--train-images", "64", "--data", TrainedRuns.data, "--out", out,
            ])
            let result = try decode(ModuleCriticality.self, out + "/criticality.json")
            let own = try evaluation(final, split: "train")
            let squared = try Reference.squaredDistances(final, start)
            #expect(result.alphas == [0, 0.5, 1] && result.sigmas == [0.5, 1] && result.samples == 1)
            #expect(
                close(result.finalError, 1 - own.accuracy, 1e-12)
                    && close(result.epsilon, result.finalError + 0.05, 1e-12))
            #expect(result.modules.map(\.name) == ["stem", "layer1.0", "layer2.0", "layer3.0", "fc"])
            #expect(
                result.modules.contains { $0.criticality != nil },
                "no module met epsilon: the mu check below would check nothing")
            for module in result.modules {
                #expect(
                    module.errorAlongAlpha.count == 3 && module.errorAlongAlpha[2] == result.finalError,
                    "\(module.name)")
                #expect(module.rewindError == module.errorAlongAlpha[0])
                #expect(
                    close(module.distance * module.distance, try #require(squared[module.name]), 1e-9), "\(module.name)"
                )
                if let mu = module.criticality {
                    let (alpha, sigma) = (try #require(module.alpha), try #require(module.sigma))
                    #expect(
                        close(mu, alpha * alpha * module.distance * module.distance / (sigma * sigma), 1e-9),
                        "\(module.name)")
                    #expect(result.alphas.contains(alpha) && result.sigmas.contains(sigma))
                }
            }
            let csv = try csvRows(out + "/heatmap.csv")
            #expect(csv.first == ["module", "alpha_0.0", "alpha_0.5", "alpha_1.0", "criticality"])
            #expect(csv.dropFirst().map { $0[0] } == result.modules.map(\.name))
        }

        @Test("mistakes: the cells add up to the test set, and agree with each model's eval predictions")
        func mistakes() throws {
            defer { try? FileManager.default.removeItem(atPath: out) }
            let (a, b) = (runs.final(runs.first), runs.start(runs.second))
            try CLI.run([
                "analyze", "mistakes", "--model", "A=" + a, "--model", "B=" + b, "--data", TrainedRuns.data, "--out",
                out,
            ])
            let report = try decode(MistakesCommand.Report.self, out + "/mistakes.json")
            let (evalA, evalB) = (try evaluation(a), try evaluation(b))
            #expect(report.models == ["A", "B"] && report.classes.count == TrainedRuns.classes)
            #expect(report.accuracies == ["A": evalA.accuracy, "B": evalB.accuracy])
            let table = try #require(report.pairs.first?.table)
            #expect(report.pairs.count == 1 && table.total == TrainedRuns.testImages)
            let labels = (0..<TrainedRuns.testImages).map(TrainedRuns.testLabel)
            var cells = [[Int]](repeating: [], count: 4)
            var sameWrong = 0
            for i in labels.indices {
                let (rightA, rightB) = (evalA.predictions[i] == labels[i], evalB.predictions[i] == labels[i])
                cells[rightA ? (rightB ? 0 : 1) : (rightB ? 2 : 3)].append(i)
                if !rightA && !rightB && evalA.predictions[i] == evalB.predictions[i] { sameWrong += 1 }
            }
            #expect([table.bothRight, table.onlyARight, table.onlyBRight, table.bothWrong] == cells.map(\.count))
            #expect(table.samples.map { $0.sorted() } == cells && table.sameWrongLabel == sameWrong)
            let samples = try csvRows(out + "/samples.csv")
            #expect(
                samples.first == ["index", "label", "A", "B", "ambiguity"]
                    && samples.count == 1 + TrainedRuns.testImages)
            #expect(
                try samples.dropFirst().map { try [$0[1], $0[2], $0[3]].map { try #require(Int($0)) } }
                    == labels.indices.map { [labels[$0], evalA.predictions[$0], evalB.predictions[$0]] })
            for (cell, members) in zip(["both-right", "only-A-right", "only-B-right", "both-wrong"], cells) {
                #expect(
                    FileManager.default.fileExists(atPath: "\(out)/A-vs-B-\(cell).png") == !members.isEmpty, "\(cell)")
            }
        }
    }
}
