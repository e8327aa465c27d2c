import ArgumentParser
import Foundation
import TransferscopeAnalysis
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeTraining

/// `transferscope analyze mistakes`.
struct MistakesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mistakes",
        abstract: "Where models err on one test set: 2x2 tables per pair, ambiguity, and image grids per cell.",
        discussion: """
            Ambiguity of a sample: the entropy of the mean predicted distribution of all the models. \
            Writes mistakes.json (every pair's table), pairs.csv, samples.csv (label, each model's \
            prediction, ambiguity) and, per pair, PNG grids of each cell (captions: T true class, A and B \
            the two predictions, as class indices; mistakes.json lists the class names).
            Example: transferscope analyze mistakes --model PT-s0=runs/PT-s0/final.safetensors --model \
            RIT-s0=runs/RIT-s0/final.safetensors --data clipart --out out/mistakes
            """)

    @Option(name: .customLong("model"), help: "NAME=CHECKPOINT (repeat for each model; at least 2).") var models:
        [String]
    @OptionGroup var data: AnalysisDataOptions
    @Option(parsing: .unconditional, help: "Images per cell grid.") var gridImages = 24
    @Option(help: "Directory for the results.") var out: String

    struct Pair: Codable {
        var a: String
        var b: String
        var table: MistakeTable
    }

    struct Report: Codable {
        var models: [String]
        var classes: [String]
        var accuracies: [String: Double]
        var pairs: [Pair]
    }

    func parsedModels() throws -> [(String, String)] {
        try models.map { text in
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--model must be NAME=CHECKPOINT, got '\(text)'")
            }
            return (parts[0], parts[1])
        }
    }

    func validate() throws {
        try FlagCheck.require(gridImages, in: 1...Limits.draws, "--grid-images")
        let parsed = try parsedModels()
        guard parsed.count >= 2 else { throw ValidationError("give at least two --model NAME=CHECKPOINT") }
        guard Set(parsed.map(\.0)).count == parsed.count else { throw ValidationError("--model names must differ") }
    }

    func run() throws {
        let dataset = try data.dataset()
        var predictions: [[Int]] = []
        var probabilities: [[[Float]]] = []
        var accuracies: [String: Double] = [:]
        let named = try parsedModels()
        for (name, path) in named {
            let loaded = try LoadedModel(path)
            let evaluation = try Evaluator.evaluate(
                loaded.model, on: try loaded.prepare(dataset), keepProbabilities: true)
            predictions.append(evaluation.predictions)
            probabilities.append(evaluation.probabilities)
            accuracies[name] = evaluation.accuracy
            print(String(format: "  %@ accuracy %.2f%%", name, 100 * evaluation.accuracy))
        }
        let ambiguity = try Mistakes.ambiguity(of: probabilities)
        var pairs: [Pair] = []
        let cells = MistakeCell.allCases.map { $0.slug(a: "A", b: "B") }
        for (i, j) in RunPairs.unordered(Array(named.indices)) {
            let (nameA, nameB) = (named[i].0, named[j].0)
            let table = try Mistakes.compare(
                predictions[i], predictions[j], labels: dataset.labels, ambiguity: ambiguity)
            pairs.append(Pair(a: nameA, b: nameB, table: table))
            try Mistakes.writeGrids(
                table, of: dataset, predictions: (predictions[i], predictions[j]), ambiguity: ambiguity,
                names: ("A", "B"),
                letters: ("A", "B"), perCell: gridImages, to: out, prefix: "\(nameA)-vs-\(nameB)-")
            let m = table.meanAmbiguity.map { $0.map { String(format: "%.3f", $0) } ?? "-" }
            print(
                "  \(nameA) vs \(nameB): both right \(table.bothRight), only \(nameA) \(table.onlyARight), only "
                    + "\(nameB) "
                    + "\(table.onlyBRight), both wrong \(table.bothWrong) (same label \(table.sameWrongLabel)); "
                    + "mean ambiguity \(m.joined(separator: " / "))")
        }
        try AnalysisFiles.writeJSON(
            Report(models: named.map(\.0), classes: dataset.classNames, accuracies: accuracies, pairs: pairs), to: out,
            name: "mistakes.json")
        try AnalysisFiles.writeCSV(
            header: ["a", "b", "both_right", "only_a_right", "only_b_right", "both_wrong", "same_wrong_label"]
                + cells.map { "ambiguity_" + $0 },
            rows: pairs.map { p in
                [p.a, p.b]
                    + [
                        p.table.bothRight, p.table.onlyARight, p.table.onlyBRight, p.table.bothWrong,
                        p.table.sameWrongLabel,
                    ].map(String.init)
                    + p.table.meanAmbiguity.map { AnalysisFiles.number($0) }
            }, to: out, name: "pairs.csv")
        try AnalysisFiles.writeCSV(
            header: ["index", "label"] + named.map(\.0) + ["ambiguity"],
            rows: dataset.labels.indices.map { k in
                [String(k), String(dataset.labels[k])] + predictions.map { String($0[k]) } + [
                    AnalysisFiles.number(ambiguity[k])
                ]
            },
            to: out, name: "samples.csv")
        print("wrote \(out)/mistakes.json, pairs.csv, samples.csv and the cell grids")
    }
}
