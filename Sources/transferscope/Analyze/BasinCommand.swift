import ArgumentParser
import Foundation
import TransferscopeAnalysis
import TransferscopeCore
import TransferscopeIO
import TransferscopeTraining

/// `transferscope analyze basin`.
struct BasinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "basin",
        abstract: "Width of the low-loss basin around a checkpoint along random filter-normalized directions.",
        discussion: """
            Evaluates the training loss at theta + t d for t in [-radius, radius]; the width is where it \
            stays within --tolerance of the checkpoint's. Writes basin.json and basin.csv.
            Example: transferscope analyze basin runs/PT-s0/final.safetensors --data clipart --out out/basin
            """)

    @Argument(help: "The checkpoint.") var checkpoint: String
    @Option(parsing: .unconditional, help: "Random directions.") var directions = 5
    @Option(parsing: .unconditional, help: "Steps along each direction (odd, so that 0 is one).") var steps = 21
    @Option(parsing: .unconditional, help: "Largest |t| (1 = as far as the weights' own filter norms).") var radius =
        1.0
    @Option(parsing: .unconditional, help: "Loss increase that ends the basin.") var tolerance = 0.1
    @Option(parsing: .unconditional, help: "Seed of the directions.") var seed: UInt64 = 0
    @OptionGroup var path: PathOptions
    @OptionGroup var data: DataOptions
    @Option(help: "Directory for the results.") var out: String

    func validate() throws {
        try FlagCheck.require(directions, in: 1...Limits.draws, "--directions")
        try FlagCheck.require(steps, in: 3...Limits.gridPoints, "--steps")
        guard steps % 2 == 1 else {
            throw ValidationError("--steps must be odd (so that 0 is one of them), got \(steps)")
        }
        try FlagCheck.require(radius, in: 0...1_000, "--radius", positive: true)
        try FlagCheck.require(tolerance, in: 0...1_000, "--tolerance", positive: true)
    }

    func run() throws {
        let loaded = try LoadedModel(checkpoint)
        let (_, splits) = try data.load()
        let interpolation = try path.interpolation(loaded, splits: splits)
        let trainSet = EvaluationSet(
            interpolation.train, indices: interpolation.trainIndices, batchSize: path.batchSize)
        let start = Date()
        let result = try BasinWidth.randomDirections(
            loaded.model, data: trainSet, statistics: path.bn == .reestimate ? interpolation.train : nil,
            count: directions,
            steps: Interpolation.grid(count: steps, from: -radius, to: radius), tolerance: tolerance, seed: seed,
            estimationBatches: path.bnBatches, batchSize: path.batchSize)
        try AnalysisFiles.writeJSON(result, to: out, name: "basin.json")
        try AnalysisFiles.writeCSV(
            header: ["direction", "t", "train_loss", "train_accuracy"],
            rows: result.directions.enumerated().flatMap { k, d in
                zip(d.steps, zip(d.losses, d.accuracies)).map {
                    [String(k), AnalysisFiles.number($0), AnalysisFiles.number($1.0), AnalysisFiles.number($1.1)]
                }
            }, to: out, name: "basin.csv")
        print(
            String(
                format: "mean basin width %.3f (widths %@) in %.0f s -> %@", result.meanWidth,
                result.directions.map { String(format: "%.3f", $0.width) }.joined(separator: ", "),
                Date().timeIntervalSince(start), out))
    }
}
