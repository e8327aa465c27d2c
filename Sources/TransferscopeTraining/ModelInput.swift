import Foundation
import TransferscopeCheckpoints
import TransferscopeData

/// What a checkpoint records about its inputs, so that evaluation and fine-tuning preprocess
/// images exactly as training did: side, channels and normalization.
public enum ModelInput {
    public static let normalizationKey = "transferscope.normalization"

    /// Metadata entries for `preprocessing`.
    public static func metadata(_ preprocessing: Preprocessing) -> [String: String] {
        [normalizationKey: String(decoding: JSONFile.encode(preprocessing.normalization), as: UTF8.self)]
    }

    /// The preprocessing recorded in the checkpoint at `path` (block shuffles are not recorded:
    /// they belong to the data, not the model).
    public static func preprocessing(ofCheckpoint path: String) throws -> Preprocessing {
        let file = try SafeTensors(contentsOf: path)
        guard let shapeText = file.metadata[Checkpoint.inputShapeKey]?.data(using: .utf8),
              let shape = try? JSONDecoder().decode([Int].self, from: shapeText), shape.count == 3, shape[0] == shape[1]
        else {
            throw TrainingError.incompatibleData(
                "\(path) does not record its input shape (\(Checkpoint.inputShapeKey)); give --image-size and --channels")
        }
        let normalization = file.metadata[normalizationKey]?.data(using: .utf8)
            .flatMap { try? JSONDecoder().decode(Normalization.self, from: $0) } ?? .identity(channels: shape[2])
        return Preprocessing(side: shape[0], channels: shape[2], normalization: normalization)
    }
}
