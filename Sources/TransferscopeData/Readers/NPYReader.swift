import Foundation

/// NumPy `.npy` arrays (format versions 1-3, C order): uint8 or float32 images, integer labels.
///
/// Header: `\x93NUMPY`, major and minor version bytes, a little-endian header length (2 bytes in
/// v1, 4 in v2/v3), then a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (N, H, W), }`.
public enum NPYReader {
    /// The array read: dtype code, shape and raw bytes.
    public typealias Array = RawArray

    /// Parses the `.npy` file at `path`.
    public static func read(_ path: String) throws -> Array {
        try parse(FileBytes.read(path), path: path)
    }

    /// Parses the bytes of a `.npy` file; `path` names it in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws -> Array {
        func fail(_ reason: String) -> DataError { .malformed(path: path, reason: reason) }
        guard bytes.count >= 10, bytes.starts(with: [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]) else {
            throw fail("no NPY magic number (\\x93NUMPY)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else if major == 2 || major == 3 {
            guard bytes.count >= 12 else { throw fail("the header is cut short") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        } else {
            throw DataError.unsupported(path: path, reason: "NPY format version \(major) is not supported")
        }
        guard headerStart + headerLength <= bytes.count else { throw fail("the header is cut short") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard let descr = value(of: "descr", in: header)?.trimmingCharacters(in: CharacterSet(charactersIn: "'\" ")),
            let order = value(of: "fortran_order", in: header),
            let shapeText = value(of: "shape", in: header)
        else { throw fail("the header dict lacks descr, fortran_order or shape: \(header)") }
        guard order.trimmingCharacters(in: .whitespaces) == "False" else {
            throw DataError.unsupported(
                path: path, reason: "Fortran-ordered arrays are not supported; save with np.ascontiguousarray")
        }
        let shape = try shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { item -> Int in
                guard let n = Int(item), n >= 0 else { throw fail("bad shape \(shapeText)") }
                return n
            }
        guard descr.first != ">" else {
            throw DataError.unsupported(path: path, reason: "big-endian arrays (\(descr)) are not supported")
        }
        let code = String(descr.drop { "<|=".contains($0) })
        let widths = [
            "u1": 1, "i1": 1, "b1": 1, "i2": 2, "u2": 2, "i4": 4, "u4": 4, "i8": 8, "u8": 8, "f4": 4, "f8": 8,
        ]
        guard let width = widths[code] else {
            throw DataError.unsupported(
                path: path, reason: "dtype \(descr) is not supported (use uint8 or float32 images, integer labels)")
        }
        let start = headerStart + headerLength
        let expected = try ArrayShape.checkedCount(shape, path: path) * width
        guard bytes.count - start == expected else {
            throw fail(
                "shape \(shape) of \(descr) needs \(expected) bytes but the file holds \(bytes.count - start) "
                    + "(truncated?)"
            )
        }
        return Array(dtype: code, shape: shape, data: [UInt8](bytes[start...]))
    }

    /// The text after `'key':` up to the next top-level comma (a tuple stays whole).
    static func value(of key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") ?? header.range(of: "\"\(key)\":") else { return nil }
        var depth = 0
        var result = ""
        for character in header[range.upperBound...] {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if (character == "," && depth == 0) || character == "}" { break }
            result.append(character)
        }
        return result.trimmingCharacters(in: .whitespaces)
    }

    /// Images [N, H, W] or [N, H, W, 1|3] (uint8, or float32 in [0, 1] or [0, 255]) and labels [N].
    public static func read(
        images imagesPath: String, labels labelsPath: String, name: String, classNames: [String]? = nil
    ) throws
        -> ImageDataset
    {
        try dataset(
            images: read(imagesPath), labels: read(labelsPath), imagesPath: imagesPath, labelsPath: labelsPath,
            name: name,
            classNames: classNames)
    }

    /// The dataset of parsed image and label arrays.
    public static func dataset(
        images: Array, labels: Array, imagesPath: String, labelsPath: String, name: String, classNames: [String]? = nil
    ) throws -> ImageDataset {
        try ArrayShape.checkImages(images.shape, path: imagesPath)
        guard labels.shape.count == 1, labels.shape[0] == images.shape[0] else {
            throw DataError.malformed(
                path: labelsPath, reason: "holds labels of shape \(labels.shape) for \(images.shape[0]) images")
        }
        let (pixels, exactValues) = try imagePixels(images, path: imagesPath)
        let labelValues = try integers(labels, path: labelsPath)
        return try LabelledArrays.dataset(
            name: name, shape: images.shape, pixels: pixels, exactValues: exactValues, labels: labelValues,
            classNames: classNames, labelsPath: labelsPath)
    }

    /// The images' 8-bit pixels, and for float32 images their exact values on the 0...255 scale
    /// (values in [0, 1] are multiplied by 255; values in [0, 255] are kept). The model is fed
    /// the exact values; the 8-bit rounding serves pictures only.
    static func imagePixels(_ array: Array, path: String) throws -> (pixels: [UInt8], exactValues: [Float]?) {
        switch array.dtype {
        case "u1": return (array.data, nil)
        case "f4":
            let floats = littleEndianFloats(array.data)
            if let index = floats.firstIndex(where: { !$0.isFinite }) {
                throw DataError.malformed(
                    path: path,
                    reason: "value \(index) of the float32 images is \(floats[index]); images must be finite")
            }
            guard let low = floats.min(), let high = floats.max(), low >= 0, high <= 255 else {
                throw DataError.unsupported(
                    path: path,
                    reason:
                        "float32 images must lie in [0, 1] or [0, 255] (found values in [\(floats.min() ?? 0), "
                        + "\(floats.max() ?? 0)]); undo any normalization before saving, the tool normalizes itself"
                )
            }
            let scale: Float = high <= 1 ? 255 : 1
            let values = scale == 1 ? floats : floats.map { $0 * scale }
            return (values.map { UInt8($0.rounded()) }, values)
        default:
            throw DataError.unsupported(
                path: path, reason: "images of dtype \(array.dtype) are not supported; use uint8 or float32")
        }
    }

    /// Integer values of an integer array (little-endian, signed or unsigned).
    static func integers(_ array: Array, path: String) throws -> [Int] {
        let width: Int
        let signed: Bool
        switch array.dtype {
        case "u1", "b1": (width, signed) = (1, false)
        case "i1": (width, signed) = (1, true)
        case "u2": (width, signed) = (2, false)
        case "i2": (width, signed) = (2, true)
        case "u4": (width, signed) = (4, false)
        case "i4": (width, signed) = (4, true)
        case "u8": (width, signed) = (8, false)
        case "i8": (width, signed) = (8, true)
        default: throw DataError.unsupported(path: path, reason: "labels must be integers, not \(array.dtype)")
        }
        return LittleEndian.integers(array.data, width: width, signed: signed)
    }

    static func littleEndianFloats(_ data: [UInt8]) -> [Float] {
        (0..<(data.count / 4)).map { i in
            Float(
                bitPattern: UInt32(data[4 * i]) | UInt32(data[4 * i + 1]) << 8 | UInt32(data[4 * i + 2]) << 16
                    | UInt32(data[4 * i + 3]) << 24)
        }
    }
}

/// A NumPy array's dtype code (`u1`, `f4`, `i8`, ...), shape and raw little-endian bytes, as
/// read from `.npy` files and from pickles.
public struct RawArray: Sendable {
    /// The dtype without its byte-order mark: `u1` (uint8), `f4` (float32), `i8` (int64), ...
    public var dtype: String
    /// The dimensions, outermost first (C order), e.g. [N, H, W] for images.
    public var shape: [Int]
    /// The elements' bytes, little-endian, in C order: product(shape) * itemsize bytes.
    public var data: [UInt8]

    /// An array as given; the counts are checked by whoever reads it as images or labels.
    public init(dtype: String, shape: [Int], data: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }
}

/// Little-endian integer decoding.
enum LittleEndian {
    static func integers(_ data: [UInt8], width: Int, signed: Bool) -> [Int] {
        (0..<(data.count / width)).map { i in
            var bits: UInt64 = 0
            for b in 0..<width { bits |= UInt64(data[width * i + b]) << (8 * UInt64(b)) }
            if signed && width < 8 && bits & (1 << (8 * UInt64(width) - 1)) != 0 { bits |= ~0 << (8 * UInt64(width)) }
            return Int(Int64(bitPattern: bits))
        }
    }
}
