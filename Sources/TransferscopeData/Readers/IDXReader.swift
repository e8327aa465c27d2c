import Foundation
import TransferscopeCore

/// The IDX format of MNIST and Fashion-MNIST (optionally gzipped).
///
/// Layout (LeCun et al.): two zero bytes, a type byte (0x08 = unsigned byte), the number of
/// dimensions, each dimension as a big-endian UInt32, then the values row-major.
public enum IDXReader {
    /// The unsigned-byte array in `path`: its dimensions and values.
    public static func readBytes(_ path: String) throws -> (shape: [Int], values: [UInt8]) {
        try parse(FileBytes.read(path), path: path)
    }

    /// The unsigned-byte array in `bytes` (the contents of a file; `path` names it in errors).
    public static func parse(_ bytes: [UInt8], path: String) throws -> (shape: [Int], values: [UInt8]) {
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
            throw DataError.malformed(path: path, reason: "no IDX magic number (expected 00 00 at the start)")
        }
        guard bytes[2] == 0x08 else {
            throw DataError.unsupported(
                path: path, reason: String(format: "IDX type 0x%02x is not supported; only unsigned bytes (0x08) are", bytes[2]))
        }
        let dimensions = Int(bytes[3])
        guard dimensions >= 1, bytes.count >= 4 + 4 * dimensions else {
            throw DataError.malformed(path: path, reason: "the header is cut short")
        }
        var shape: [Int] = []
        for d in 0..<dimensions {
            let o = 4 + 4 * d
            shape.append(Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]))
        }
        let start = 4 + 4 * dimensions
        let count = try ArrayShape.checkedCount(shape, path: path)
        guard bytes.count - start == count else {
            throw DataError.malformed(
                path: path, reason: "the header promises \(shape) = \(count) values but the file holds \(bytes.count - start) (truncated?)")
        }
        return (shape, Array(bytes[start...]))
    }

    /// Images [N, H, W] (or [N, H, W, C]) from `imagesPath` with labels [N] from `labelsPath`.
    public static func read(images imagesPath: String, labels labelsPath: String, name: String, classNames: [String]? = nil) throws
        -> ImageDataset
    {
        try dataset(
            images: readBytes(imagesPath), labels: readBytes(labelsPath), imagesPath: imagesPath, labelsPath: labelsPath, name: name,
            classNames: classNames)
    }

    /// The dataset of parsed image and label arrays.
    public static func dataset(
        images: (shape: [Int], values: [UInt8]), labels: (shape: [Int], values: [UInt8]), imagesPath: String, labelsPath: String,
        name: String, classNames: [String]? = nil
    ) throws -> ImageDataset {
        try ArrayShape.checkImages(images.shape, path: imagesPath)
        guard labels.shape.count == 1, labels.shape[0] == images.shape[0] else {
            throw DataError.malformed(
                path: labelsPath, reason: "holds \(labels.shape) labels for \(images.shape[0]) images in \(imagesPath)")
        }
        return try LabelledArrays.dataset(
            name: name, shape: images.shape, pixels: images.values, labels: labels.values.map(Int.init),
            classNames: classNames, labelsPath: labelsPath)
    }
}

/// Checks on the shapes and labels that array files declare, made before anything is allocated.
enum ArrayShape {
    /// The number of values of an array of `shape`, checked for overflow and against `Limits.elements`.
    static func checkedCount(_ shape: [Int], path: String) throws -> Int {
        guard shape.count <= 8, let count = Limits.product(shape), count <= Limits.elements else {
            throw DataError.malformed(
                path: path, reason: "its shape \(shape) is beyond the \(Limits.elements) values and 8 dimensions supported (a damaged header?)")
        }
        return count
    }

    /// Checks an image array's shape: [N, H, W] or [N, H, W, 1|3] with sides in 1...`Limits.imageSide`.
    static func checkImages(_ shape: [Int], path: String) throws {
        guard shape.count == 3 || (shape.count == 4 && [1, 3].contains(shape[3])) else {
            throw DataError.unsupported(path: path, reason: "images must be [N, H, W] or [N, H, W, 1|3], not \(shape)")
        }
        guard (1...Limits.imageSide).contains(shape[1]), (1...Limits.imageSide).contains(shape[2]) else {
            throw DataError.unsupported(
                path: path, reason: "its images are \(shape[1])x\(shape[2]) pixels; sides must lie in 1...\(Limits.imageSide)")
        }
        guard shape[0] <= Limits.images else {
            throw DataError.unsupported(path: path, reason: "it holds \(shape[0]) images, more than the \(Limits.images) supported")
        }
    }
}

/// Turning raw image and label arrays into an `ImageDataset`.
enum LabelledArrays {
    /// Checks labels against the class names, or, when none are given, names classes "0", "1",
    /// ... up to the highest label; then every class must have an image, and there must be two.
    static func dataset(
        name: String, shape: [Int], pixels: [UInt8], exactValues: [Float]? = nil, labels: [Int], classNames: [String]?,
        labelsPath: String
    ) throws -> ImageDataset {
        guard let lowest = labels.min(), let highest = labels.max() else { throw DataError.empty(path: labelsPath) }
        guard lowest >= 0 else { throw DataError.malformed(path: labelsPath, reason: "label \(lowest) is negative") }
        if let classNames {
            guard highest < classNames.count else {
                throw DataError.malformed(
                    path: labelsPath, reason: "label \(highest) has no class: the training labels define \(classNames.count) classes, 0...\(classNames.count - 1)")
            }
        } else {
            guard highest < Limits.classes else {
                throw DataError.malformed(
                    path: labelsPath, reason: "label \(highest) is beyond the \(Limits.classes) classes supported (a damaged file?)")
            }
            var seen = [Bool](repeating: false, count: highest + 1)
            for label in labels { seen[label] = true }
            let missing = seen.indices.filter { !seen[$0] }
            guard missing.isEmpty else {
                let list = missing.prefix(8).map(String.init).joined(separator: ", ") + (missing.count > 8 ? ", ..." : "")
                throw DataError.malformed(
                    path: labelsPath,
                    reason: "labels run to \(highest) but \(missing.count) class(es) below have no image (\(list)); number the classes 0..<K with every class present")
            }
            guard highest >= 1 else {
                throw DataError.malformed(path: labelsPath, reason: "every label is \(highest); a classifier needs at least 2 classes")
            }
        }
        return ImageDataset(
            name: name, height: shape[1], width: shape[2], channels: shape.count == 4 ? shape[3] : 1,
            pixels: pixels, exactValues: exactValues, labels: labels, classNames: classNames ?? (0...highest).map(String.init))
    }
}
