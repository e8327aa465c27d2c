import Foundation
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeData
import TransferscopeIO

/// What a checkpoint records about its inputs, so that evaluation and fine-tuning preprocess
/// images exactly as training did: side, channels and normalization.
public enum ModelInput {
    /// Checkpoint metadata key whose value is the JSON of the training normalization.
    public static let normalizationKey = "transferscope.normalization"

    /// Metadata entries for `preprocessing`.
    public static func metadata(_ preprocessing: Preprocessing) throws -> [String: String] {
        [normalizationKey: try JSONFile.string(preprocessing.normalization)]
    }

    /// The preprocessing recorded in the checkpoint at `path` (block shuffles are not recorded:
    /// they belong to the data, not the model); its header only is read.
    public static func preprocessing(ofCheckpoint path: String) throws -> Preprocessing {
        try SourceCheckpoint(path).preprocessing
    }

    /// The preprocessing recorded in a parsed checkpoint; `path` names it in errors.
    public static func preprocessing(of file: SafeTensors, path: String) throws -> Preprocessing {
        try preprocessing(metadata: file.metadata, path: path)
    }

    /// The preprocessing recorded in a checkpoint's metadata; `path` names it in errors.
    public static func preprocessing(metadata: [String: String], path: String) throws -> Preprocessing {
        guard let shapeText = metadata[Checkpoint.inputShapeKey] else {
            throw TrainingError.incompatibleData(
                "\(path) does not record its input shape (\(Checkpoint.inputShapeKey)), so it is not a "
                    + "checkpoint written by Transferscope (train, model init)"
            )
        }
        guard let shape = try? JSONDecoder().decode([Int].self, from: Data(shapeText.utf8)), shape.count == 3,
            shape[0] == shape[1],
            (1...Limits.imageSide).contains(shape[0]), shape[2] == 1 || shape[2] == 3
        else {
            throw TrainingError.incompatibleData(
                "\(path): its recorded input shape \(shapeText) is not [side, side, 1 or 3] with a side in "
                    + "1...\(Limits.imageSide); the file is damaged"
            )
        }
        let normalization: Normalization
        if let text = metadata[normalizationKey] {
            do { normalization = try JSONDecoder().decode(Normalization.self, from: Data(text.utf8)) } catch {
                let reason = (error as? DataError)?.errorDescription ?? describeDecodingError(error)
                throw TrainingError.incompatibleData(
                    "\(path): its recorded \(normalizationKey) is not usable: \(reason)")
            }
        } else {
            normalization = .identity(channels: shape[2])
        }
        guard normalization.mean.count == shape[2] else {
            throw TrainingError.incompatibleData(
                "\(path): its recorded normalization has \(normalization.mean.count) channel(s), its input "
                    + "\(shape[2]); the file is damaged"
            )
        }
        let architecture = try Checkpoint.architecture(metadata: metadata, path: path)
        guard architecture.inputChannels == shape[2] else {
            throw TrainingError.incompatibleData(
                "\(path): its recorded input has \(shape[2]) channel(s) but its architecture takes "
                    + "\(architecture.inputChannels); the file is damaged"
            )
        }
        return Preprocessing(side: shape[0], channels: shape[2], normalization: normalization)
    }
}
