import Foundation
import TransferscopeCheckpoints
import TransferscopeData
import TransferscopeIO
import TransferscopeNN

/// Turns a PyTorch state dict from elsewhere (torchvision's ImageNet ResNet-50, a user's own
/// ResNet saved with `torch.save(model.state_dict(), path)`) into a Transferscope checkpoint: the
/// architecture read from its keys and shapes (`ForeignStateDict`), the weights loaded strictly,
/// and the input it expects (side, channels, normalization) recorded, so that `eval`, `train
/// --init` and a study's `source: {checkpoint: ...}` prepare images as the model was trained.
public enum ModelImport {
    /// torchvision's ImageNet normalization (`transforms.Normalize(mean=[0.485, 0.456, 0.406],
    /// std=[0.229, 0.224, 0.225])`), which every torchvision classification model expects.
    public static let imagenetNormalization = Normalization(
        mean: [0.485, 0.456, 0.406], standardDeviation: [0.229, 0.224, 0.225])

    /// The state dict in the file at `path`: a safetensors file (any metadata), else a PyTorch
    /// file (`torch.save`'s zip format, read without running its pickle: `PyTorchFile`).
    public static func stateDict(at path: String) throws -> ForeignStateDict {
        let entries: [String: SafeTensors.Entry]
        if path.lowercased().hasSuffix(".safetensors") {
            entries = try SafeTensors(contentsOf: path).entries
        } else {
            entries = try PyTorchFile.readStateDict(path: path)
        }
        return ForeignStateDict(entries: entries, path: path)
    }

    /// What an import made: the model and what was recorded about it.
    public struct Imported {
        /// The model with the file's weights.
        public var model: ResNet
        /// The input recorded with it.
        public var preprocessing: Preprocessing
        /// Whether the file's keys carried DataParallel's `module.` prefix (removed).
        public var hadModulePrefix: Bool
    }

    /// Reads the state dict at `path`, builds its ResNet (`model`/`widths` as a check, see
    /// `ForeignStateDict.architecture`) and writes it to `out` as a checkpoint whose inputs are
    /// `side x side` images normalized by `normalization` (one entry per input channel; nil: none).
    public static func run(
        _ path: String, out: String, side: Int, normalization given: Normalization?, model: String? = nil,
        widths: [Int]? = nil
    ) throws -> Imported {
        let state = try stateDict(at: path)
        let architecture = try state.architecture(model: model, widths: widths)
        let normalization = given ?? .identity(channels: architecture.inputChannels)
        guard normalization.mean.count == architecture.inputChannels else {
            throw TrainingError.invalidConfiguration(
                "\(path): the model takes \(architecture.inputChannels) input channel(s) but the normalization has "
                    + "\(normalization.mean.count); give --normalization none or --mean/--std with one value per "
                    + "channel")
        }
        let preprocessing = Preprocessing(
            side: side, channels: architecture.inputChannels, normalization: normalization)
        try preprocessing.validate()
        let network = try state.model(architecture)
        var metadata = try ModelInput.metadata(preprocessing)
        metadata["transferscope.imported_from"] = (path as NSString).lastPathComponent
        try Checkpoint.save(
            network, to: out, inputShape: [side, side, architecture.inputChannels], metadata: metadata)
        return Imported(model: network, preprocessing: preprocessing, hadModulePrefix: state.hadModulePrefix)
    }
}
