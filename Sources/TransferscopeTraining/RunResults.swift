import Foundation
import TransferscopeIO

/// Reading what a finished run left behind.
public enum RunResults {
    /// The epoch lines of a run's metrics.jsonl.
    public static func epochs(of directory: String) throws -> [EpochMetrics] {
        try lines(of: directory).compactMap { line in
            guard line.contains("\"kind\":\"epoch\"") else { return nil }
            return try? JSONFile.decoder().decode(EpochMetrics.self, from: Data(line.utf8))
        }
    }

    /// The step lines of a run's metrics.jsonl.
    public static func steps(of directory: String) throws -> [StepMetrics] {
        try lines(of: directory).compactMap { line in
            guard line.contains("\"kind\":\"step\"") else { return nil }
            return try? JSONFile.decoder().decode(StepMetrics.self, from: Data(line.utf8))
        }
    }

    /// The summary of a finished run.
    public static func summary(of directory: String) throws -> TrainingSummary {
        let path = directory + "/summary.json"
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError.noFinishedRun(directory: directory, missing: "summary.json")
        }
        do { return try JSONFile.read(TrainingSummary.self, from: path) } catch let JSONFileError.unreadable(_, reason)
        {
            throw TrainingError.corruptRunState(path: path, reason: "it does not decode as a run summary (\(reason))")
        }
    }

    static func lines(of directory: String) throws -> [String] {
        let path = directory + "/metrics.jsonl"
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainingError.noFinishedRun(directory: directory, missing: "metrics.jsonl")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TrainingError.corruptRunState(path: path, reason: "it is not readable UTF-8 text")
        }
        return text.split(separator: "\n").map(String.init)
    }
}
