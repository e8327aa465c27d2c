import Foundation

/// What can go wrong reading a PyTorch file (`torch.save`); each message names the file and says what to do.
public enum PyTorchFileError: Error, LocalizedError, Equatable {
    /// The file cannot be read at all (missing, a folder, too large, no permission).
    case unreadable(path: String, reason: String)
    /// A file in the format of torch < 1.6 (or `_use_new_zipfile_serialization=False`): a bare pickle.
    case legacyFormat(path: String)
    /// Not a zip archive, or a damaged one (truncated, offsets outside the file, entries missing).
    case malformedArchive(path: String, reason: String)
    /// A zip archive that uses what torch.save never writes (compression, encryption, several disks).
    case unsupportedArchive(path: String, reason: String)
    /// The pickle (`data.pkl`) is damaged or is not the pickle of a state dict.
    case malformedPickle(path: String, reason: String)
    /// The pickle names a global that a weights-only load does not admit; nothing was called.
    case refusedGlobal(path: String, module: String, name: String)
    /// A tensor Transferscope cannot represent (its storage type, byte order or layout).
    case unsupportedTensor(path: String, reason: String)
    /// The pickle holds no tensors where a state dict should be; `found` says what it holds.
    case noTensors(path: String, found: String)

    /// The message for the user: the file, what is wrong with it, and what to do.
    public var errorDescription: String? {
        let resave = "re-save it in PyTorch with `torch.save(model.state_dict(), path)`"
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason). Check that the path exists and is readable."
        case .legacyFormat(let path):
            return
                "\(path) is in PyTorch's legacy format (saved by torch < 1.6 or with "
                + "_use_new_zipfile_serialization=False), which Transferscope does not read. Re-save it with "
                + "torch >= 1.6: `torch.save(model.state_dict(), path)`, or load it and save it again: "
                + "`torch.save(torch.load(old, weights_only=True), new)`."
        case .malformedArchive(let path, let reason):
            return
                "\(path) is not a readable PyTorch file: \(reason). Check that it was fully written, or "
                + "\(resave)."
        case .unsupportedArchive(let path, let reason):
            return "\(path) is a zip archive torch.save does not write: \(reason); \(resave)."
        case .malformedPickle(let path, let reason):
            return
                "\(path) does not hold a readable state dict: its data.pkl \(reason); \(resave), or point to "
                + "another file."
        case .refusedGlobal(let path, let module, let name):
            return
                "\(path) is refused: its pickle names `\(module).\(name)`, and reading a PyTorch file here admits "
                + "only tensors, storages and OrderedDict; it will not run `\(module).\(name)`. If you trust the "
                + "file, load it in PyTorch and save its state dict: `torch.save(model.state_dict(), path)`."
        case .unsupportedTensor(let path, let reason):
            return
                "\(path): \(reason). Convert the tensor in PyTorch (e.g. `.float().contiguous()`) and save the "
                + "state dict again."
        case .noTensors(let path, let found):
            return
                "\(path) holds no tensors (\(found)). Transferscope reads state dicts: save one with "
                + "`torch.save(model.state_dict(), path)`."
        }
    }
}
