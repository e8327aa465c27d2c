import ArgumentParser
import Foundation
import TransferscopeAnalysis
import TransferscopeCore
import TransferscopeData
import TransferscopeExperiments
import TransferscopeIO
import TransferscopeTraining

/// Options of paths in weight space evaluated on train and test images.
struct PathOptions: ParsableArguments {
    @Option(
        help:
            """
            BatchNorm statistics at each point: reestimate (on training images; default), interpolate, first or second.
            """
    )
    var bn = BatchNormMode.reestimate
    @Option(parsing: .unconditional, help: "Batches of training images that re-estimate BatchNorm statistics.")
    var bnBatches = 20
    @Option(parsing: .unconditional, help: "Training images evaluated at each point (a fixed, seeded subset).")
    var trainImages = 2000
    @Option(parsing: .unconditional, help: "Images per batch.") var batchSize = 256

    func validate() throws {
        try FlagCheck.require(bnBatches, in: 1...Limits.statisticsBatches, "--bn-batches")
        try FlagCheck.require(trainImages, in: FlagCheck.images, "--train-images")
        try FlagCheck.require(batchSize, in: 2...Limits.images, "--batch-size")
    }

    func interpolation(_ loaded: LoadedModel, splits: DatasetSplits) throws -> Interpolation {
        Interpolation(
            train: try loaded.prepare(splits.train), test: try loaded.prepare(splits.test), trainSubset: trainImages,
            batchNorm: bn, estimationBatches: bnBatches, batchSize: batchSize)
    }
}

/// Writes a curve as JSON and CSV.
func writeCurve(_ curve: InterpolationCurve, to directory: String, name: String) throws {
    try AnalysisFiles.writeJSON(curve, to: directory, name: name + ".json")
    try AnalysisFiles.writeCSV(
        header: ["lambda", "train_loss", "train_accuracy", "test_loss", "test_accuracy"],
        rows: curve.points.map { p in
            [p.lambda, p.trainLoss, p.trainAccuracy, p.testLoss, p.testAccuracy].map { AnalysisFiles.number($0) }
        },
        to: directory, name: name + ".csv")
}

/// `transferscope analyze interpolate`.
struct InterpolateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpolate",
        abstract: "Loss and accuracy along the straight line between checkpoints; performance barriers.",
        discussion: """
            With two checkpoints, one curve; with more, every pair, and the mean and range of the barrier \
            heights over the pairs (e.g. the P-T seeds). Writes curve-A-B.json/.csv per pair and barriers.json.
            Example: transferscope analyze interpolate runs/PT-s0/final.safetensors runs/PT-s1/final.safetensors \
            --data clipart --out out/interp
            """)

    @Argument(help: "Two or more checkpoints of one architecture.") var checkpoints: [String]
    @Option(parsing: .unconditional, help: "Points on the line.") var points = 21
    @Option(parsing: .unconditional, help: "First lambda (below 0 extrapolates).") var from = 0.0
    @Option(parsing: .unconditional, help: "Last lambda (above 1 extrapolates).") var to = 1.0
    @Option(
        parsing: .unconditional,
        help: "Train-loss increase that bounds the basin width along the line around each endpoint.")
    var basinTolerance = 0.1
    @OptionGroup var path: PathOptions
    @OptionGroup var data: DataOptions
    @Option(help: "Directory for the results.") var out: String

    struct Summary: Codable {
        var pairs: [[String]]
        var testLossBarriers: [Double]
        var testErrorBarriers: [Double]
        var trainLossBarriers: [Double]
        var testLoss: Spread
        var testError: Spread
        var trainLoss: Spread
        /// Width (in lambda) of the basin around each endpoint along each pair's line.
        var basinWidths: [[Double]]
        var basinTolerance: Double
    }

    func validate() throws {
        guard checkpoints.count >= 2 else { throw ValidationError("give at least two checkpoints") }
        try FlagCheck.require(points, in: 2...Limits.gridPoints, "--points")
        try FlagCheck.require(from, in: -100...100, "--from")
        try FlagCheck.require(to, in: -100...100, "--to")
        guard from <= 0, to >= 1 else {
            throw ValidationError(
                "--from must be at most 0 and --to at least 1 (the barrier compares the path with its "
                    + "endpoints), got \(from) and \(to)"
            )
        }
        guard lambdas().contains(where: { $0 > 0 && $0 < 1 }) else {
            throw ValidationError(
                "--points \(points) over [\(from), \(to)] leaves no point strictly between the checkpoints; give "
                    + "more --points"
            )
        }
        try FlagCheck.require(basinTolerance, in: 0...1_000, "--basin-tolerance", positive: true)
    }

    /// The grid of --points over [--from, --to], with 0 and 1 added when they fall between grid points.
    func lambdas() -> [Double] {
        var grid = Interpolation.grid(count: points, from: from, to: to)
        for endpoint in [0.0, 1.0] where !grid.contains(endpoint) { grid.append(endpoint) }
        return grid.sorted()
    }

    func run() throws {
        let loaded = try checkpoints.map { try LoadedModel($0) }
        let (_, splits) = try data.load()
        let interpolation = try path.interpolation(loaded[0], splits: splits)
        let grid = lambdas()
        var pairs: [[String]] = []
        var curves: [InterpolationCurve] = []
        let start = Date()
        for (i, j) in RunPairs.unordered(Array(loaded.indices)) {
            let curve = try interpolation.curve(loaded[i].model, loaded[j].model, lambdas: grid) { done, total in
                if done % 5 == 0 || done == total { note("  pair \(i + 1)-\(j + 1): \(done)/\(total) points") }
            }
            try writeCurve(curve, to: out, name: "curve-\(i + 1)-\(j + 1)")
            pairs.append([checkpoints[i], checkpoints[j]])
            curves.append(curve)
            print(
                String(
                    format:
                        "  %d-%d: test loss barrier %.4f at lambda %.2f, test error barrier %.2f%%, train loss "
                        + "barrier %.4f",
                    i + 1, j + 1, curve.testLossBarrier.height, curve.testLossBarrier.lambda,
                    100 * curve.testErrorBarrier.height, curve.trainLossBarrier.height))
        }
        let summary = Summary(
            pairs: pairs, testLossBarriers: curves.map(\.testLossBarrier.height),
            testErrorBarriers: curves.map(\.testErrorBarrier.height),
            trainLossBarriers: curves.map(\.trainLossBarrier.height),
            testLoss: Spread(curves.map(\.testLossBarrier.height)),
            testError: Spread(curves.map(\.testErrorBarrier.height)),
            trainLoss: Spread(curves.map(\.trainLossBarrier.height)),
            basinWidths: curves.map { curve in
                let widths = BasinWidth.alongLine(curve, tolerance: basinTolerance)
                return [widths.first, widths.second]
            }, basinTolerance: basinTolerance)
        try AnalysisFiles.writeJSON(summary, to: out, name: "barriers.json")
        print(
            String(
                format: "test loss barrier mean %.4f (range %.4f-%.4f) over %d pairs in %.0f s -> %@",
                summary.testLoss.mean,
                summary.testLoss.minimum, summary.testLoss.maximum, curves.count, Date().timeIntervalSince(start), out))
    }
}
