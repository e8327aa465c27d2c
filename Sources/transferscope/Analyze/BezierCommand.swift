import ArgumentParser
import Foundation
import TransferscopeAnalysis
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeIO
import TransferscopeTraining

/// `transferscope analyze bezier`.
struct BezierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bezier",
        abstract: "Train a quadratic Bezier curve between two checkpoints and evaluate it like the straight line.",
        discussion: """
            Garipov et al. (2018): the control point starts at the midpoint and is trained by SGD on the \
            expected loss along the curve. Writes bezier.json/.csv, line.json/.csv and control.safetensors.
            Example: transferscope analyze bezier runs/RIT-s0/final.safetensors runs/RIT-s1/final.safetensors --data \
            clipart --out out/bezier
            """)

    @Argument(help: "Checkpoint A.") var a: String
    @Argument(help: "Checkpoint B.") var b: String
    @Option(parsing: .unconditional, help: "Epochs of training the control point.") var epochs = 5
    @Option(parsing: .unconditional, help: "Learning rate (cosine to 0).") var lr = 0.05
    @Option(parsing: .unconditional, help: "Points evaluated on the curve and the line.") var points = 11
    @Option(parsing: .unconditional, help: "Seed of the t draws and the data order.") var seed: UInt64 = 0
    @OptionGroup var path: PathOptions
    @OptionGroup var data: DataOptions
    @Option(help: "Directory for the results.") var out: String

    func validate() throws {
        try FlagCheck.require(epochs, in: FlagCheck.epochs, "--epochs")
        try FlagCheck.requirePositive(lr, "--lr")
        try FlagCheck.require(points, in: 3...Limits.gridPoints, "--points")  // 0, 1 and a point between
    }

    func run() throws {
        let (first, second) = (try LoadedModel(a), try LoadedModel(b))
        let (_, splits) = try data.load()
        let interpolation = try path.interpolation(first, splits: splits)
        let curve = try BezierCurve(first.model, second.model)
        let start = Date()
        curve.train(
            on: interpolation.train, epochs: epochs, batchSize: min(128, interpolation.train.count), learningRate: lr,
            seed: seed
        ) { epoch, loss in
            note(String(format: "  epoch %d/%d: mean loss along the curve %.4f", epoch, epochs, loss))
        }
        let grid = Interpolation.grid(count: points)
        let onCurve = try curve.evaluate(at: grid, with: interpolation)
        let onLine = try interpolation.curve(first.model, second.model, lambdas: grid)
        try writeCurve(onCurve, to: out, name: "bezier")
        try writeCurve(onLine, to: out, name: "line")
        try Checkpoint.save(curve.control, to: out + "/control.safetensors")
        print(
            String(
                format:
                    "test loss barrier: line %.4f, Bezier curve %.4f; test error barrier: line %.2f%%, curve "
                    + "%.2f%% (%.0f s) -> %@",
                onLine.testLossBarrier.height, onCurve.testLossBarrier.height, 100 * onLine.testErrorBarrier.height,
                100 * onCurve.testErrorBarrier.height, Date().timeIntervalSince(start), out))
    }
}
