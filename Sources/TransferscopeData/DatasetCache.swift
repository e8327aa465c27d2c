import Foundation
import TransferscopeIO

/// A prepared dataset on disk: one safetensors file per split with `images` (U8 [N, H, W, C]),
/// `labels` (I64 [N]) and the class names in its metadata. Loading one is a single read, and
/// `safetensors.numpy.load_file` opens it too.
public enum DatasetCache {
    static let classesKey = "transferscope.classes"
    static let nameKey = "transferscope.dataset"

    /// Writes `dataset` atomically to `path`.
    public static func save(_ dataset: ImageDataset, to path: String) throws {
        let file = SafeTensors(
            entries: [
                "images": .uint8(
                    shape: [dataset.count, dataset.height, dataset.width, dataset.channels], values: dataset.pixels),
                "labels": .int64(shape: [dataset.count], values: dataset.labels.map(Int64.init)),
            ],
            metadata: [classesKey: try JSONFile.string(dataset.classNames), nameKey: dataset.name])
        try file.write(to: path)
    }

    /// Reads a dataset written by `save`.
    public static func load(from path: String) throws -> ImageDataset {
        let file: SafeTensors
        do { file = try SafeTensors(contentsOf: path) } catch let error as SafeTensorsError {
            throw DataError.malformed(path: path, reason: error.localizedDescription)
        }
        return try dataset(in: file, path: path)
    }

    /// The dataset held by a parsed cache file; `path` names it in errors.
    public static func dataset(in file: SafeTensors, path: String) throws -> ImageDataset {
        guard let images = file.bytes("images"), images.shape.count == 4, images.shape[1] >= 1, images.shape[2] >= 1,
            [1, 3].contains(images.shape[3]), let labels = file.integers("labels"),
            labels.shape == [images.shape[0]],
            let classText = file.metadata[classesKey]?.data(using: .utf8),
            let classNames = try? JSONDecoder().decode([String].self, from: classText)
        else {
            throw DataError.malformed(
                path: path, reason: "not a Transferscope dataset cache (needs U8 images, I64 labels and class names)")
        }
        guard labels.values.allSatisfy({ $0 >= 0 && $0 < classNames.count }) else {
            throw DataError.malformed(path: path, reason: "a label lies outside the \(classNames.count) classes")
        }
        return ImageDataset(
            name: file.metadata[nameKey] ?? (path as NSString).lastPathComponent, height: images.shape[1],
            width: images.shape[2], channels: images.shape[3], pixels: images.values,
            labels: labels.values.map(Int.init),
            classNames: classNames)
    }
}
