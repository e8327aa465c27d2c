import Foundation
import TransferscopeCore
import TransferscopeIO
import TransferscopeNN

/// A model checkpoint on disk: a safetensors file whose tensors are the PyTorch state dict and
/// whose metadata records the architecture, so `Checkpoint.loadModel` can rebuild the model.
///
/// A user can load one in PyTorch with
/// `model.load_state_dict(safetensors.torch.load_file(path))` into the matching torchvision model.
public enum Checkpoint {
    /// Metadata key holding the JSON-encoded `ResNetConfiguration`.
    public static let architectureKey = "transferscope.architecture"
    /// Metadata key holding the class names, as a JSON array (optional).
    public static let classesKey = "transferscope.classes"
    /// Metadata key holding the input shape [H, W, C], as a JSON array (optional).
    public static let inputShapeKey = "transferscope.input_shape"

    /// Saves `model`'s state (atomically) with its architecture and any extra metadata.
    public static func save(
        _ model: ResNet, to path: String, classNames: [String]? = nil, inputShape: [Int]? = nil,
        metadata extra: [String: String] = [:]
    ) throws {
        var metadata = extra
        metadata["format"] = "pt"
        metadata[architectureKey] = try JSONFile.string(model.configuration)
        if let classNames { metadata[classesKey] = try JSONFile.string(classNames) }
        if let inputShape { metadata[inputShapeKey] = try JSONFile.string(inputShape) }
        try SafeTensors(entries: StateDict.entries(of: model.namedState), metadata: metadata).write(to: path)
    }

    /// Loads the weights at `path` into an existing model (strict by default).
    public static func load(into model: ResNet, from path: String, strict: Bool = true, skipping: Set<String> = [])
        throws
    {
        let file = try SafeTensors(contentsOf: path)
        try StateDict.load(file, into: model.namedState, path: path, strict: strict, skipping: skipping)
    }

    /// The architecture recorded in the checkpoint at `path` (its header only is read).
    public static func architecture(at path: String) throws -> ResNetConfiguration {
        try architecture(metadata: SafeTensors.header(ofFileAt: path).metadata, path: path)
    }

    /// The architecture recorded in a parsed checkpoint; `path` names it in errors.
    public static func architecture(of file: SafeTensors, path: String) throws -> ResNetConfiguration {
        try architecture(metadata: file.metadata, path: path)
    }

    /// The architecture recorded in a checkpoint's metadata; `path` names it in errors.
    public static func architecture(metadata: [String: String], path: String) throws -> ResNetConfiguration {
        guard let text = metadata[architectureKey] else {
            throw SafeTensorsError.malformed(
                path: path,
                reason:
                    "its metadata has no \(architectureKey), so it is not a checkpoint written by Transferscope "
                    + "(train, model init); only those can be loaded"
            )
        }
        do {
            return try JSONDecoder().decode(ResNetConfiguration.self, from: Data(text.utf8))
        } catch let error as ResNetConfigurationError {
            throw SafeTensorsError.malformed(path: path, reason: "its recorded \(error.localizedDescription)")
        } catch {
            throw SafeTensorsError.malformed(
                path: path,
                reason:
                    "its \(architectureKey) metadata is not a readable architecture (\(describeDecodingError(error)))")
        }
    }

    /// A new model with the architecture and weights stored at `path`.
    public static func loadModel(from path: String) throws -> ResNet {
        let file = try SafeTensors(contentsOf: path)
        let configuration = try architecture(of: file, path: path)
        // A small file claiming a huge architecture is refused before the model is allocated.
        let stored = file.entries.values.reduce(0) { total, entry in
            if case .float32(_, let values) = entry { return total + values.count } else { return total }
        }
        guard stored >= configuration.parameterCount else {
            throw SafeTensorsError.malformed(
                path: path,
                reason:
                    "its architecture has \(configuration.parameterCount) parameters but it holds only \(stored) "
                    + "float values"
            )
        }
        var generator = RandomGenerator(seed: 0)
        let model = ResNet(configuration, generator: &generator)
        try StateDict.load(file, into: model.namedState, path: path)
        return model
    }
}
