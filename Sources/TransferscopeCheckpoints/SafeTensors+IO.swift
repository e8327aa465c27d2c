import Foundation
import TransferscopeCore

extension SafeTensors {
    /// The largest header accepted (as the reference implementation: 100 MB).
    static let maximumHeaderLength = 100_000_000

    /// Parses the bytes of a safetensors file; `path` only names the file in errors.
    public init(bytes: [UInt8], path: String) throws {
        func fail(_ reason: String) -> SafeTensorsError { .malformed(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw fail("it has \(bytes.count) bytes, fewer than the 8-byte header length") }
        var headerLength = 0
        for i in 0..<8 { headerLength |= Int(bytes[i]) << (8 * i) }
        guard headerLength > 0, headerLength <= SafeTensors.maximumHeaderLength, 8 + headerLength <= bytes.count else {
            throw fail("the header length \(headerLength) does not fit a file of \(bytes.count) bytes (truncated, or not a safetensors file)")
        }
        let headerData = Data(bytes[8..<(8 + headerLength)])
        guard let object = try? JSONSerialization.jsonObject(with: headerData),
              let header = object as? [String: Any]
        else { throw fail("the JSON header does not parse") }
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (key, item) in map {
                    guard let text = item as? String else { throw fail("metadata \(key) is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shapeValues = info["shape"] as? [Any], let offsetValues = info["data_offsets"] as? [Any],
                  offsetValues.count == 2
            else { throw fail("tensor \(name) lacks dtype, shape or data_offsets") }
            let shape = try shapeValues.map { item -> Int in
                guard let number = item as? NSNumber, let n = Int(exactly: number.doubleValue), n >= 0 else {
                    throw fail("tensor \(name) has a shape entry \(item) that is not a whole number >= 0")
                }
                return n
            }
            let offsets = try offsetValues.map { item -> Int in
                guard let number = item as? NSNumber, let n = Int(exactly: number.doubleValue), n >= 0 else {
                    throw fail("tensor \(name) has an offset \(item) that is not a whole number >= 0")
                }
                return n
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin <= end else { throw fail("tensor \(name) has data_offsets [\(begin), \(end)] that end before they begin") }
            guard end <= dataLength else {
                throw fail("tensor \(name) spans bytes \(begin)..<\(end) but the data has \(dataLength) bytes (truncated: was it fully written?)")
            }
            guard shape.count <= 8, let count = Limits.product(shape), count <= Limits.elements else {
                throw fail("tensor \(name) has shape \(shape), beyond the \(Limits.elements) values and 8 dimensions supported")
            }
            let width: Int
            switch dtype {
            case "F32": width = 4
            case "I64": width = 8
            case "U8": width = 1
            default: throw fail("tensor \(name) has dtype \(dtype); only F32, I64 and U8 are supported")
            }
            guard count * width == end - begin else {
                throw fail("tensor \(name) has shape \(shape) (\(count * width) bytes) but spans \(end - begin) bytes")
            }
            ranges.append((begin, end, name))
            let base = dataStart + begin
            if width == 1 {
                entries[name] = .uint8(shape: shape, values: Array(bytes[base..<(base + count)]))
            } else if width == 4 {
                var values = [Float](repeating: 0, count: count)
                for i in 0..<count {
                    let j = base + 4 * i
                    let bits = UInt32(bytes[j]) | UInt32(bytes[j + 1]) << 8 | UInt32(bytes[j + 2]) << 16
                        | UInt32(bytes[j + 3]) << 24
                    values[i] = Float(bitPattern: bits)
                }
                entries[name] = .float32(shape: shape, values: values)
            } else {
                var values = [Int64](repeating: 0, count: count)
                for i in 0..<count {
                    var bits: UInt64 = 0
                    for b in 0..<8 { bits |= UInt64(bytes[base + 8 * i + b]) << (8 * b) }
                    values[i] = Int64(bitPattern: bits)
                }
                entries[name] = .int64(shape: shape, values: values)
            }
        }
        ranges.sort { $0.0 < $1.0 }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.0 < a.1 {
            throw fail("tensors \(a.2) and \(b.2) overlap")
        }
        self.init(entries: entries, metadata: metadata)
    }

    /// Reads and parses the file at `path`.
    public init(contentsOf path: String) throws {
        let data: Data
        do { data = try RegularFile.contents(atPath: path, limit: 8 * Limits.elements) } catch let error as RegularFileError {
            throw SafeTensorsError.unreadable(path: path, reason: error.reason)
        }
        try self.init(bytes: [UInt8](data), path: path)
    }

    /// The file's bytes: tensors sorted by name, data aligned to 8 bytes, header padded with spaces.
    public func serialized() -> [UInt8] {
        let names = entries.keys.sorted()
        var offset = 0
        var headerItems: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            headerItems.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        for name in names {
            let entry = entries[name]!
            let size = Tensor_elementCount(entry.shape) * entry.width
            let shape = entry.shape.map(String.init).joined(separator: ",")
            headerItems.append("\(jsonString(name)):{\"dtype\":\"\(entry.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        var header = Array("{\(headerItems.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        for i in 0..<8 { bytes.append(UInt8((header.count >> (8 * i)) & 0xff)) }
        bytes += header
        for name in names {
            switch entries[name]! {
            case let .float32(_, values):
                for v in values { let b = v.bitPattern; for i in 0..<4 { bytes.append(UInt8((b >> (8 * UInt32(i))) & 0xff)) } }
            case let .int64(_, values):
                for v in values { let b = UInt64(bitPattern: v); for i in 0..<8 { bytes.append(UInt8((b >> (8 * UInt64(i))) & 0xff)) } }
            case let .uint8(_, values):
                bytes += values
            }
        }
        return bytes
    }

    /// Writes the file atomically: to a temporary file beside `path`, then renamed over it, so
    /// that a reader never sees a half-written checkpoint.
    public func write(to path: String) throws {
        try AtomicFile.write(Data(serialized()), to: path)
    }
}

private func Tensor_elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

/// A JSON string literal for `text`.
func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default:
            if scalar.value < 0x20 { result += String(format: "\\u%04x", scalar.value) } else { result.unicodeScalars.append(scalar) }
        }
    }
    return result + "\""
}
