import Foundation
import TransferscopeCheckpoints
import TransferscopeData
import TransferscopeIO
import TransferscopeNN

/// What a checkpoint records about itself, read once from its safetensors header (no weight is
/// parsed): its architecture and the preprocessing its inputs need. A run, an experiment or a
/// study reads its source checkpoint once into this value and passes it on; the weights are
/// read only where a model is built (`Checkpoint.loadModel`, `Checkpoint.load`).
public struct SourceCheckpoint: Sendable, Equatable {
    /// The checkpoint's file.
    public let path: String
    /// The recorded architecture (its head has the source's classes).
    public let architecture: ResNetConfiguration
    /// The recorded input: side, channels and normalization.
    public let preprocessing: Preprocessing
    /// The number of float32 values stored (at least the architecture's parameters for a usable file).
    public let storedFloats: Int

    /// Reads the header of the checkpoint at `path`; throws naming the file when it is not a
    /// Transferscope checkpoint or its records do not agree.
    public init(_ path: String) throws {
        let header = try SafeTensors.header(ofFileAt: path)
        self.path = path
        architecture = try Checkpoint.architecture(metadata: header.metadata, path: path)
        preprocessing = try ModelInput.preprocessing(metadata: header.metadata, path: path)
        storedFloats = header.floatCount
    }
}
