import Foundation
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeIO

/// The files `transferscope eval --out` writes (each atomically).
public enum EvaluationFiles {
    struct Report: Codable {
        var checkpoint: String
        var data: String
        var split: String
        var images: Int
        var accuracy: Double
        var loss: Double
        var classes: [String]
        var perClassAccuracy: [Double]

        enum CodingKeys: String, CodingKey {
            case checkpoint, data, split, images, accuracy, loss, classes
            case perClassAccuracy = "per_class_accuracy"
        }
    }

    /// Writes eval.json, confusion.csv and predictions.csv into `directory`.
    public static func write(
        _ evaluation: Evaluation, classNames: [String], to directory: String, checkpoint: String, data: String,
        split: String
    ) throws {
        try OutputDirectory.create(directory)
        let report = Report(
            checkpoint: checkpoint, data: data, split: split, images: evaluation.labels.count,
            accuracy: evaluation.accuracy,
            loss: evaluation.loss, classes: classNames, perClassAccuracy: evaluation.perClassAccuracy)
        try JSONFile.write(report, to: directory + "/eval.json")
        let quoted = classNames.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var confusion = "true\\predicted," + quoted.joined(separator: ",") + "\n"
        for (name, row) in zip(quoted, evaluation.confusion) {
            confusion += name + "," + row.map(String.init).joined(separator: ",") + "\n"
        }
        try AtomicFile.write(Data(confusion.utf8), to: directory + "/confusion.csv")
        var predictions =
            "index,label,predicted,correct," + (0..<classNames.count).map { "p\($0)" }.joined(separator: ",") + "\n"
        for (index, (label, predicted)) in zip(evaluation.labels, evaluation.predictions).enumerated() {
            let probabilities =
                index < evaluation.probabilities.count
                ? evaluation.probabilities[index].map { String(format: "%.6g", $0) }.joined(separator: ",") : ""
            predictions += "\(index),\(label),\(predicted),\(label == predicted ? 1 : 0),\(probabilities)\n"
        }
        try AtomicFile.write(Data(predictions.utf8), to: directory + "/predictions.csv")
    }
}
