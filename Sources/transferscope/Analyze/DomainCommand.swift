import ArgumentParser
import Foundation
import TransferscopeAnalysis
import TransferscopeData
import TransferscopeIO
import TransferscopeTraining

/// `transferscope analyze domain`.
struct DomainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domain",
        abstract: "How far a target is from the source, as the pre-trained model P sees them.",
        discussion: """
            The Fréchet distance between Gaussians fitted to P's pooled features on the source's test images \
            and on the target's (with a percentile bootstrap interval over images), and the accuracy of a \
            linear probe on P's frozen features of the target's training images. Both datasets are prepared \
            to P's input. Writes domain.json.
            Example: transferscope analyze domain runs/P/final.safetensors --source-data sketch-letters --data \
            mnist-5k --per-class 20 --out out/domain
            """)

    @Argument(help: "P's checkpoint.") var checkpoint: String
    @Option(help: "The source dataset P was trained on (its test split is compared).") var sourceData: String
    @OptionGroup var target: DataOptions
    @Option(parsing: .unconditional, help: "Keep this many target training images per class for the probe.")
    var perClass: Int?
    @Option(parsing: .unconditional, help: "Images per side at most (a seeded subsample).") var images = 1_000
    @Option(parsing: .unconditional, help: "Bootstrap resamples of the distance's interval.") var resamples = 200
    @Option(help: "Directory for the results.") var out: String

    func validate() throws {
        try FlagCheck.require(perClass, in: 1...Limits.images, "--per-class")
        try FlagCheck.require(images, in: 2...Limits.images, "--images")
        try FlagCheck.require(resamples, in: 1...Limits.draws, "--resamples")
    }

    func run() throws {
        let p = try LoadedModel(checkpoint)
        let source = try DatasetSource(parsing: sourceData).load().splits
        let splits = try target.load().splits
        let train = TrainingSelection(perClass: perClass, seed: 0).apply(to: splits.train)
        let result = try DomainDistance.compute(
            p.model, sourceTest: p.preprocessing.prepare(source.test), targetTrain: p.preprocessing.prepare(train),
            targetTest: p.preprocessing.prepare(splits.test), maximumImages: images, resamples: resamples)
        try AnalysisFiles.writeJSON(result, to: out, name: "domain.json")
        print(
            String(
                format: "  Fréchet distance %.4g (95%% CI %.4g to %.4g; %.3f of the source features' variance)",
                result.frechet, result.frechetLower, result.frechetUpper, result.relativeFrechet))
        print(
            String(
                format: "  linear probe %.1f%% (chance %.1f%%) -> %@/domain.json", 100 * result.probeAccuracy,
                100 * result.chance, out))
    }
}
