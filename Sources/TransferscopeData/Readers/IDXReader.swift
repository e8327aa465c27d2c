import Foundation

/// The IDX format of MNIST and Fashion-MNIST (optionally gzipped).
///
/// Layout (LeCun et al.): two zero bytes, a type byte (0x08 = unsigned byte), the number of
/// dimensions, each dimension as a big-endian UInt32, then the values row-major.
public enum IDXReader {
    /// The unsigned-byte array in `path`: its dimensions and values.
    public static func readBytes(_ path: String) throws -> (shape: [Int], values: [UInt8]) {
        let bytes = try FileBytes.read(path)
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
        let count = shape.reduce(1, *)
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
        let images = try readBytes(imagesPath)
        let labels = try readBytes(labelsPath)
        guard images.shape.count == 3 || (images.shape.count == 4 && [1, 3].contains(images.shape[3])) else {
            throw DataError.unsupported(path: imagesPath, reason: "images must be [N, H, W] or [N, H, W, 1|3], not \(images.shape)")
        }
        guard labels.shape.count == 1, labels.shape[0] == images.shape[0] else {
            throw DataError.malformed(
                path: labelsPath, reason: "holds \(labels.shape) labels for \(images.shape[0]) images in \(imagesPath)")
        }
        return try LabelledArrays.dataset(
            name: name, shape: images.shape, pixels: images.values, labels: labels.values.map(Int.init),
            classNames: classNames, labelsPath: labelsPath)
    }
}

/// Turning raw image and label arrays into an `ImageDataset`.
enum LabelledArrays {
    /// Checks labels against the class names (or names classes "0", "1", ... when none are given).
    static func dataset(
        name: String, shape: [Int], pixels: [UInt8], labels: [Int], classNames: [String]?, labelsPath: String
    ) throws -> ImageDataset {
        guard let lowest = labels.min(), let highest = labels.max() else { throw DataError.empty(path: labelsPath) }
        guard lowest >= 0 else { throw DataError.malformed(path: labelsPath, reason: "label \(lowest) is negative") }
        let names = classNames ?? (0...highest).map(String.init)
        guard highest < names.count else {
            throw DataError.malformed(path: labelsPath, reason: "label \(highest) has no class name (\(names.count) classes)")
        }
        return ImageDataset(
            name: name, height: shape[1], width: shape[2], channels: shape.count == 4 ? shape[3] : 1,
            pixels: pixels, labels: labels, classNames: names)
    }
}
