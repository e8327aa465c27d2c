import Foundation
import TransferscopeCheckpoints
import TransferscopeData
import TransferscopeNN

/// A checkpoint loaded with the preprocessing it records: what every analysis needs to evaluate
/// a model on a dataset (the CLI's analyses and a study's alike).
public struct LoadedModel {
    /// The checkpoint's file.
    public var path: String
    /// The model with the checkpoint's weights.
    public var model: ResNet
    /// How the model's inputs are prepared (side, channels, normalization).
    public var preprocessing: Preprocessing

    /// Loads the checkpoint at `path` (its header read once for the preprocessing, its weights once).
    public init(_ path: String) throws {
        self.path = path
        preprocessing = try SourceCheckpoint(path).preprocessing
        model = try Checkpoint.loadModel(from: path)
    }

    /// `dataset` prepared for this model; throws when its classes differ from the model's head.
    public func prepare(_ dataset: ImageDataset) throws -> PreparedImages {
        guard dataset.classNames.count == model.configuration.classes else {
            throw TrainingError.incompatibleData(
                "\(path) has \(model.configuration.classes) classes but the data has \(dataset.classNames.count)")
        }
        try preprocessing.checkSize(of: dataset)
        return preprocessing.prepare(dataset)
    }
}
