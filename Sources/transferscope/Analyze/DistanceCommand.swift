import ArgumentParser
import Foundation
import TransferscopeAnalysis
import TransferscopeTraining

/// `transferscope analyze distance`.
struct DistanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distance",
        abstract: "L2 distance between two checkpoints, per module and in all.",
        discussion: """
            The second checkpoint is the reference of relative distances (give the starting point there \
            to measure how far training moved a model). Writes distance.json and distance.csv.
            Example: transferscope analyze distance runs/PT-s0/final.safetensors runs/P/final.safetensors --out \
            out/distance
            """)

    @Argument(help: "Checkpoint A.") var a: String
    @Argument(help: "Checkpoint B (the reference).") var b: String
    @Flag(help: "Include BatchNorm running statistics.") var buffers = false
    @Flag(help: "Compare the heads too even when their class counts differ (the head is then left out).")
    var ignoreHead = false
    @Option(help: "Directory for the results.") var out: String

    func run() throws {
        let (modelA, modelB) = (try LoadedModel(a).model, try LoadedModel(b).model)
        let result = try ParameterDistance.between(modelA, modelB, includeBuffers: buffers, skippingHead: ignoreHead)
        try AnalysisFiles.writeJSON(result, to: out, name: "distance.json")
        try AnalysisFiles.writeCSV(
            header: ["module", "distance", "reference_norm", "relative"],
            rows: result.modules.map {
                [
                    $0.name, AnalysisFiles.number($0.distance), AnalysisFiles.number($0.referenceNorm),
                    AnalysisFiles.number($0.relative),
                ]
            }
                + [
                    [
                        "total", AnalysisFiles.number(result.total), AnalysisFiles.number(result.referenceNorm),
                        AnalysisFiles.number(result.relative),
                    ]
                ],
            to: out, name: "distance.csv")
        for module in result.modules {
            print(
                String(
                    format: "  %@ %10.4f  (relative %.4f)", module.name.padded(to: 10), module.distance, module.relative
                ))
        }
        print(
            String(
                format: "  total      %10.4f  (relative %.4f) -> %@/distance.json", result.total, result.relative, out))
    }
}
