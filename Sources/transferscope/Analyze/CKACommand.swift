import ArgumentParser
import Foundation
import TransferscopeAnalysis
import TransferscopeCore
import TransferscopeIO
import TransferscopeTraining

/// `transferscope analyze cka`.
struct CKACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cka",
        abstract: "CKA feature similarity of every layer of model A against every layer of model B.",
        discussion: """
            Minibatch CKA (Nguyen et al. 2021) over the chosen images, unbiased HSIC by default. Writes \
            cka.json and cka.csv (rows: A's layers, columns: B's layers).
            Example: transferscope analyze cka --a runs/PT-s0/final.safetensors --b runs/PT-s1/final.safetensors \
            --data clipart --out out/cka
            """)

    @Option(help: "Checkpoint of model A.") var a: String
    @Option(help: "Checkpoint of model B.") var b: String
    @OptionGroup var data: AnalysisDataOptions
    @Option(help: "Comma-separated layers (stem, layerS, layerS.B, pool, fc); default stem, each stage and pool.")
    var layers: String?
    @Flag(help: "Use every block's output as a layer.") var everyBlock = false
    @Option(help: "Kernel: linear or rbf.") var kernel = CKA.KernelName.linear
    @Option(parsing: .unconditional, help: "RBF bandwidth as a fraction of the median distance.") var bandwidth = 0.5
    @Flag(help: "Use the biased HSIC estimator instead of the unbiased one.") var biased = false
    @Option(parsing: .unconditional, help: "Images per minibatch (the Gram matrices cost batch^2 x features each).")
    var batchSize = 256
    @Option(help: "Directory for the results.") var out: String

    func validate() throws {
        try FlagCheck.require(bandwidth, in: 0...1_000, "--bandwidth", positive: true)
        try FlagCheck.require(batchSize, in: 4...Limits.ckaBatch, "--batch-size")
    }

    func run() throws {
        let (modelA, modelB) = (try LoadedModel(a), try LoadedModel(b))
        let dataset = try data.dataset()
        let imagesA = try modelA.prepare(dataset)
        let imagesB = modelB.preprocessing == modelA.preprocessing ? nil : try modelB.prepare(dataset)
        let names = layers.map {
            $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let names, names.isEmpty {
            throw ValidationError("--layers names no layer; give e.g. stem,layer1,layer2,layer3,pool")
        }
        let start = Date()
        let result = try FeatureSimilarity.compute(
            modelA.model, modelB.model, images: imagesA, imagesB: imagesB,
            layersA: names ?? FeatureSimilarity.defaultLayers(of: modelA.model, everyBlock: everyBlock),
            layersB: names ?? FeatureSimilarity.defaultLayers(of: modelB.model, everyBlock: everyBlock),
            kernel: kernel.kernel(bandwidth: bandwidth), debiased: !biased, batchSize: batchSize)
        try AnalysisFiles.writeJSON(result, to: out, name: "cka.json")
        try AnalysisFiles.writeCSV(
            header: ["layer"] + result.layersB,
            rows: zip(result.layersA, result.values).map { [$0] + $1.map { AnalysisFiles.number($0) } },
            to: out, name: "cka.csv")
        for (layer, value) in result.diagonal() { print(String(format: "  %@ %.4f", layer.padded(to: 10), value)) }
        print(
            String(
                format: "CKA on %d images in %.1f s (forward %.1f s, CKA %.1f s) -> %@/cka.json", result.samples,
                Date().timeIntervalSince(start), result.forwardSeconds, result.ckaSeconds, out))
    }
}
