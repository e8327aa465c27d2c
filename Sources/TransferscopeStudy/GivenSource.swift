import Foundation
import TransferscopeAnalysis
import TransferscopeCheckpoints
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeTraining

/// P's accuracy on its source's test images, measured when a given P comes with its data.
public struct SourceEvaluation: Codable, Sendable, Equatable {
    /// The share of the source's test images P classifies right, in [0, 1].
    public var accuracy: Double
    /// The source's test images it was measured on.
    public var images: Int
}

/// How a study takes a given P (`source: {checkpoint: ...}`, `{checkpoints: ...}` or `{run: DIR}`)
/// in place of pre-training one: every file is checked (a Transferscope checkpoint whose weights
/// load strictly, all of one architecture and input), then copied into the pre-training node's
/// run directory as a finished run would leave it (`final.safetensors`, `checkpoints/epoch-NNNN`),
/// so that the study's results do not depend on the files staying where they were.
enum GivenSourceAdoption {
    /// The file beside `final.safetensors` with P's accuracy on the source's test images.
    static let evaluationFile = "source-evaluation.json"

    /// Checks and copies `given` into `directory`; with `data` of P's classes, measures P on its
    /// test split. P's `final.safetensors` is written last: a killed adoption is redone, never half taken.
    static func adopt(_ given: Study.GivenSource, data: DatasetSplits?, directory: String) throws {
        let reference = try SourceCheckpoint(given.checkpoint)
        var p: ResNet?
        for file in given.files {
            let record = try SourceCheckpoint(file)
            guard record.architecture == reference.architecture, record.preprocessing == reference.preprocessing else {
                throw StudyError.invalid(
                    path: file, line: nil,
                    message:
                        "its architecture or input differs from P's (\(given.checkpoint)): "
                        + record.architecture.differences(from: reference.architecture)
                        + "; every source checkpoint of a study must be of one model")
            }
            // The weights load strictly and are finite; P's are kept for its source accuracy.
            let model = try Checkpoint.loadModel(from: file)
            if file == given.checkpoint { p = model }
        }
        try FileManager.default.createDirectory(atPath: directory + "/checkpoints", withIntermediateDirectories: true)
        for (epoch, file) in given.checkpoints {
            try copy(file, to: directory + String(format: "/checkpoints/epoch-%04d.safetensors", epoch))
        }
        if let run = given.run {
            // The run's learning curve and summary, so the report can draw P's pre-training.
            for name in ["metrics.jsonl", "summary.json"] where FileManager.default.fileExists(atPath: run + "/" + name)
            {
                try copy(run + "/" + name, to: directory + "/" + name)
            }
        }
        // P's accuracy needs source data labelled as P's head is (its classes, in order); other
        // images of the source still give the domain distance, which reads only P's features.
        if let data, let p, data.test.classNames.count == reference.architecture.classes {
            try reference.preprocessing.checkSize(of: data.test)
            let evaluation = try Evaluator.evaluate(p, on: reference.preprocessing.prepare(data.test))
            try AnalysisFiles.writeJSON(
                SourceEvaluation(accuracy: evaluation.accuracy, images: data.test.count), to: directory,
                name: evaluationFile)
        }
        try copy(given.checkpoint, to: directory + "/final.safetensors")
    }

    static func copy(_ file: String, to destination: String) throws {
        let contents = try RegularFile.contents(atPath: file, limit: Int(Limits.parameters) * 8)
        try AtomicFile.write(contents, to: destination)
    }
}
