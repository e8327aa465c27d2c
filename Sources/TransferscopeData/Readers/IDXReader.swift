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
                path: path,
                reason: String(format: "IDX type 0x%02x is not supported; only unsigned bytes (0x08) are", bytes[2]))
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
                path: path,
                reason:
                    "the header promises \(shape) = \(count) values but the file holds \(bytes.count - start) "
                    + "(truncated?)"
            )
        }
        return (shape, Array(bytes[start...]))
    }

    /// Images [N, H, W] (or [N, H, W, C]) from `imagesPath` with labels [N] from `labelsPath`.
    public static func read(
        images imagesPath: String, labels labelsPath: String, name: String, classNames: [String]? = nil
    ) throws
        -> ImageDataset
    {
        try dataset(
            images: readBytes(imagesPath), labels: readBytes(labelsPath), imagesPath: imagesPath,
            labelsPath: labelsPath, name: name,
            classNames: classNames)
    }

    /// The dataset of parsed image and label arrays.
    public static func dataset(
        images: (shape: [Int], values: [UInt8]), labels: (shape: [Int], values: [UInt8]), imagesPath: String,
        labelsPath: String,
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
