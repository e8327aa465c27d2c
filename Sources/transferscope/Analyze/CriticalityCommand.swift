import ArgumentParser
import Foundation
import TransferscopeAnalysis
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeTraining

/// `transferscope analyze criticality`.
struct CriticalityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "criticality",
        abstract: "Module criticality: rewind each module to its start, and the (alpha, sigma) valley with noise.",
        discussion: """
            --start is the starting point of the training that produced the final checkpoint: for a \
            P-T or RI-T run its epoch-0 checkpoint (P with the new head, or the random init). Errors are measured on a \
            fixed \
            subset of training images. Writes criticality.json and heatmap.csv (module x alpha error).
            Example: transferscope analyze criticality runs/PT-s0/final.safetensors --start \
            runs/PT-s0/checkpoints/epoch-0000.safetensors --data clipart --out out/crit
            """)

    @Argument(help: "The final checkpoint.") var final: String
    @Option(help: "The checkpoint training started from.") var start: String
    @Option(parsing: .unconditional, help: "Points of alpha in [0, 1].") var alphas = 11
    @Option(parsing: .unconditional, help: "Comma-separated relative noise levels sigma in (0, 1].") var sigmas =
        CommaList<Double>([0.05, 0.1, 0.2, 0.5, 1])
    @Option(parsing: .unconditional, help: "Monte Carlo draws of the noise per (alpha, sigma).") var samples = 2
    @Option(parsing: .unconditional, help: "epsilon = the final model's error + this.") var tolerance = 0.05
    @Option(parsing: .unconditional, help: "Training images the errors are measured on (seeded subset).")
    var trainImages = 500
    @Option(parsing: .unconditional, help: "Seed of the noise.") var seed: UInt64 = 0
    @OptionGroup var data: DataOptions
    @Option(help: "Directory for the results.") var out: String

    func validate() throws {
        try FlagCheck.require(alphas, in: 2...Limits.gridPoints, "--alphas")
        try FlagCheck.require(samples, in: 1...Limits.draws, "--samples")
        try FlagCheck.require(tolerance, in: 0...1, "--tolerance")
        try FlagCheck.require(trainImages, in: 4...Limits.images, "--train-images")
        guard sigmas.values.allSatisfy({ $0 > 0 && $0 <= 1 }) else {
            throw ValidationError("--sigmas must lie in (0, 1], got '\(sigmas.defaultValueDescription)'")
        }
    }

    func run() throws {
        let (finalModel, startModel) = (try LoadedModel(final), try LoadedModel(start))
        let (_, splits) = try data.load()
        let train = Split.subsample(splits.train, count: trainImages, seed: seed)
        let set = EvaluationSet(try finalModel.prepare(train), batchSize: 256)
        let clock = Date()
        let result = try ModuleCriticality.measure(
            final: finalModel.model, start: startModel.model, data: set, alphas: Interpolation.grid(count: alphas),
            sigmas: sigmas.values, samples: samples, tolerance: tolerance, seed: seed
        ) { note("  module \($0)") }
        try AnalysisFiles.writeJSON(result, to: out, name: "criticality.json")
        try AnalysisFiles.writeCSV(
            header: ["module"] + result.alphas.map { "alpha_" + AnalysisFiles.number($0) } + ["criticality"],
            rows: result.modules.map {
                [$0.name] + $0.errorAlongAlpha.map { AnalysisFiles.number($0) } + [AnalysisFiles.number($0.criticality)]
            },
            to: out, name: "heatmap.csv")
        print(String(format: "final error %.2f%%, epsilon %.2f%%", 100 * result.finalError, 100 * result.epsilon))
        for module in result.modules {
            print(
                String(
                    format: "  %@ rewind error %6.2f%%  distance %8.3f  criticality %@", module.name.padded(to: 10),
                    100 * module.rewindError, module.distance,
                    module.criticality.map { String(format: "%.3g", $0) } ?? "none met epsilon"))
        }
        print(String(format: "in %.0f s -> %@", Date().timeIntervalSince(clock), out))
    }
}
