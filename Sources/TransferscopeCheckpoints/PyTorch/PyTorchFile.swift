import Foundation
import TransferscopeIO

/// A state dict read from a PyTorch file: tensor name -> entry (float dtypes become .float32,
/// integer and bool dtypes .int64).
///
/// Reads what `torch.save(model.state_dict(), path)` writes with torch >= 1.6: a zip archive of
/// stored entries `FOLDER/data.pkl` (the pickled dict), `FOLDER/data/KEY` (one per storage, raw
/// little-endian) and `FOLDER/byteorder`, where FOLDER is any name. The pickle is never run: a
/// weights-only machine (`WeightsOnlyUnpickler`) admits what `torch.load(weights_only=True)`
/// admits for a state dict and refuses any other global by name. Tensors may be strided views
/// (channels_last, transposed, sharing a storage); float64, float16 and bfloat16 become float32,
/// every integer type and bool int64.
///
/// The state dict is the pickled dict when it holds tensors. A training checkpoint, a dict
/// without tensors of its own, is read through its first entry among `checkpointKeys`
/// (`state_dict`, `model_state_dict`, `model`, `net`, `module`) that is a dict of tensors; its other
/// entries (epoch, optimizer, ...) are ignored. Keys are kept as they are (a `module.` prefix from
/// `nn.DataParallel` included). The legacy format (torch < 1.6, a bare pickle) is refused with
/// the way to re-save it.
public enum PyTorchFile {
    /// The entries of a training checkpoint that may hold its state dict, in the order they are tried.
    public static let checkpointKeys = ["state_dict", "model_state_dict", "model", "net", "module"]

    /// At most this many values per byte of the file are read out of its tensors (views of one
    /// storage, or stride 0, can address each element many times); far above any state dict's 1.
    static let valuesPerByte = 16

    /// The state dict in the PyTorch file at `path`; throws `PyTorchFileError` naming it.
    public static func readStateDict(path: String) throws -> [String: SafeTensors.Entry] {
        let data: Data
        do { data = try RegularFile.contents(atPath: path, limit: 8 * Limits.elements) } catch let error
            as RegularFileError
        {
            throw PyTorchFileError.unreadable(path: path, reason: error.reason)
        }
        return try readStateDict(bytes: [UInt8](data), path: path)
    }

    /// The state dict in the bytes of a PyTorch file; `path` names it in errors.
    public static func readStateDict(bytes: [UInt8], path: String) throws -> [String: SafeTensors.Entry] {
        if bytes.first == 0x80 || (bytes.count >= 262 && bytes[257..<262].elementsEqual("ustar".utf8)) {
            throw PyTorchFileError.legacyFormat(path: path)  // a pickle (PROTO) or, before torch 0.4, a tar file
        }
        let archive = try StoredZipArchive(bytes: bytes, path: path)
        let folder = try Self.folder(of: archive, path: path)
        if let order = archive.entries[folder + "/byteorder"] {
            let text = String(decoding: bytes[order], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text == "little" else {
                throw PyTorchFileError.unsupportedTensor(
                    path: path,
                    reason:
                        "its byteorder is \"\(text.prefix(16))\"; only little-endian files (saved on x86 or ARM) "
                        + "are read")
            }
        }
        guard let pickle = archive.entries[folder + "/data.pkl"] else {
            throw PyTorchFileError.malformedArchive(path: path, reason: "it has no \(folder)/data.pkl")
        }
        let tensors = try WeightsOnlyUnpickler.load(
            bytes: bytes, pickle: pickle, path: path, storage: { archive.entries[folder + "/data/" + $0] },
            extract: { try stateDict(in: $0, path: path) })
        let budget = valuesPerByte * bytes.count
        var total = 0
        var entries: [String: SafeTensors.Entry] = [:]
        for (name, tensor) in tensors {
            total += tensor.count
            guard total <= budget else {
                throw PyTorchFileError.unsupportedTensor(
                    path: path,
                    reason:
                        "its tensors address more than \(budget) values, \(valuesPerByte) per byte of the file (many "
                        + "views of the same storage?)")
            }
            entries[name] = tensor.entry(in: bytes)
        }
        return entries
    }

    /// The archive's top folder: the one whose `data.pkl` is the pickle.
    static func folder(of archive: StoredZipArchive, path: String) throws -> String {
        let folders = archive.entries.keys.compactMap { name -> String? in
            guard let slash = name.firstIndex(of: "/"), slash != name.startIndex,
                name[name.index(after: slash)...] == "data.pkl"
            else { return nil }
            return String(name[..<slash])
        }
        guard folders.count == 1, let folder = folders.first else {
            let listed = folders.sorted().prefix(4).joined(separator: ", ")
            throw PyTorchFileError.malformedArchive(
                path: path,
                reason: folders.isEmpty
                    ? "it is a zip archive without FOLDER/data.pkl, so not one torch.save wrote"
                    : "it has \(folders.count) folders with a data.pkl (\(listed))")
        }
        if archive.entries.keys.contains(where: { $0.hasPrefix(folder + "/code/") }) {
            throw PyTorchFileError.unsupportedArchive(
                path: path,
                reason:
                    "it is a TorchScript archive (torch.jit.save), not a state dict; load it with torch.jit.load and "
                    + "save its state_dict()")
        }
        return folder
    }

    /// The state dict of the unpickled `root`: its tensors, or those of a checkpoint's state dict entry.
    static func stateDict(in root: PickleValue, path: String) throws -> [String: TorchTensor] {
        guard case .dict(let dictionary) = root else {
            throw PyTorchFileError.noTensors(path: path, found: "its pickle is \(root.kind), not a dict")
        }
        if let tensors = try tensors(of: dictionary, path: path) { return tensors }
        for key in checkpointKeys {
            if case .dict(let inner)? = dictionary.value(forKey: key), let tensors = try tensors(of: inner, path: path)
            {
                return tensors
            }
        }
        let keys = dictionary.items.prefix(8).map { item -> String in
            if case .string(let text) = item.key { return text }
            return item.key.kind
        }
        let listed = keys.joined(separator: ", ") + (dictionary.items.count > 8 ? ", ..." : "")
        throw PyTorchFileError.noTensors(
            path: path,
            found:
                "its dict has \(dictionary.items.count) entries (\(listed)), none a tensor, and none of "
                + "\(checkpointKeys.joined(separator: ", ")) holds a dict of tensors")
    }

    /// The tensors of `dictionary` by name, or nil when it holds none; anything else beside them is an error.
    static func tensors(of dictionary: PickleDict, path: String) throws -> [String: TorchTensor]? {
        guard dictionary.items.contains(where: { if case .tensor = $0.value { true } else { false } }) else {
            return nil
        }
        var result: [String: TorchTensor] = [:]
        for (key, value) in dictionary.items {
            guard case .string(let name) = key else {
                throw PyTorchFileError.malformedPickle(
                    path: path, reason: "has a state dict with a key that is \(key.kind), not a string")
            }
            guard case .tensor(let tensor) = value else {
                throw PyTorchFileError.malformedPickle(
                    path: path, reason: "has \(value.kind) at \(name) beside the tensors of its state dict")
            }
            result[name] = tensor
        }
        return result
    }
}
