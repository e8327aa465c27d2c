import Foundation

extension SafeTensors {
    /// The largest header accepted (as the reference implementation: 100 MB).
    static let maximumHeaderLength = 100_000_000

    /// One tensor's entry in the header: its dtype's width in bytes, shape and byte range.
    struct HeaderEntry {
        var name: String
        var width: Int
        var shape: [Int]
        var count: Int
        var begin: Int
        var end: Int
    }

    /// The length of the JSON header given the file's first 8 bytes, checked against the file size.
    static func headerLength(_ prefix: some Collection<UInt8>, fileSize: Int, path: String) throws -> Int {
        guard prefix.count >= 8, fileSize >= 8 else {
            throw SafeTensorsError.malformed(
                path: path, reason: "it has \(fileSize) bytes, fewer than the 8-byte header length")
        }
        var headerLength = 0
        for (i, byte) in prefix.prefix(8).enumerated() { headerLength |= Int(byte) << (8 * i) }
        guard headerLength > 0, headerLength <= SafeTensors.maximumHeaderLength, 8 + headerLength <= fileSize else {
            throw SafeTensorsError.malformed(
                path: path,
                reason:
                    "the header length \(headerLength) does not fit a file of \(fileSize) bytes (truncated, or "
                    + "not a safetensors file)"
            )
        }
        return headerLength
    }

    /// Parses the JSON header: the metadata and every tensor's entry, checked against
    /// `dataLength` (the bytes after the header) and `Limits`, overlaps refused.
    static func parseHeader(_ headerData: Data, dataLength: Int, path: String) throws
        -> (metadata: [String: String], entries: [HeaderEntry])
    {
        func fail(_ reason: String) -> SafeTensorsError { .malformed(path: path, reason: reason) }
        guard let object = try? JSONSerialization.jsonObject(with: headerData),
            let header = object as? [String: Any]
        else { throw fail("the JSON header does not parse") }
        var metadata: [String: String] = [:]
        var entries: [HeaderEntry] = []
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
            guard begin <= end else {
                throw fail("tensor \(name) has data_offsets [\(begin), \(end)] that end before they begin")
            }
            guard end <= dataLength else {
                throw fail(
                    "tensor \(name) spans bytes \(begin)..<\(end) but the data has \(dataLength) bytes "
                        + "(truncated: was it fully written?)"
                )
            }
            guard shape.count <= 8, let count = Limits.product(shape), count <= Limits.elements else {
                throw fail(
                    "tensor \(name) has shape \(shape), beyond the \(Limits.elements) values and 8 dimensions supported"
                )
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
            entries.append(HeaderEntry(name: name, width: width, shape: shape, count: count, begin: begin, end: end))
        }
        // An empty tensor occupies no bytes (safetensors places it at the next tensor's offset),
        // so it overlaps nothing; the rest, sorted by offset, must not overlap.
        let sorted = entries.filter { $0.end > $0.begin }.sorted { $0.begin < $1.begin }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.begin < a.end {
            throw fail("tensors \(a.name) and \(b.name) overlap")
        }
        return (metadata, entries)
    }

    /// Parses the bytes of a safetensors file; `path` only names the file in errors.
    public init(bytes: [UInt8], path: String) throws {
        let headerLength = try Self.headerLength(bytes.prefix(8), fileSize: bytes.count, path: path)
        let dataStart = 8 + headerLength
        let (metadata, header) = try Self.parseHeader(
            Data(bytes[8..<dataStart]), dataLength: bytes.count - dataStart, path: path)
        var entries: [String: Entry] = [:]
        for tensor in header {
            let (base, count, shape) = (dataStart + tensor.begin, tensor.count, tensor.shape)
            if tensor.width == 1 {
                entries[tensor.name] = .uint8(shape: shape, values: Array(bytes[base..<(base + count)]))
            } else if tensor.width == 4 {
                var values = [Float](repeating: 0, count: count)
                for i in 0..<count {
                    let j = base + 4 * i
                    let bits =
                        UInt32(bytes[j]) | UInt32(bytes[j + 1]) << 8 | UInt32(bytes[j + 2]) << 16
                        | UInt32(bytes[j + 3]) << 24
                    values[i] = Float(bitPattern: bits)
                }
                entries[tensor.name] = .float32(shape: shape, values: values)
            } else {
                var values = [Int64](repeating: 0, count: count)
                for i in 0..<count {
                    var bits: UInt64 = 0
                    for b in 0..<8 { bits |= UInt64(bytes[base + 8 * i + b]) << (8 * b) }
                    values[i] = Int64(bitPattern: bits)
                }
                entries[tensor.name] = .int64(shape: shape, values: values)
            }
        }
        self.init(entries: entries, metadata: metadata)
    }

    /// The header of the safetensors file at `path` (its metadata, and the number of float32
    /// values it stores), read without reading the tensors: what a checkpoint records about
    /// itself costs one small read, not a parse of every weight.
    public static func header(ofFileAt path: String) throws -> (metadata: [String: String], floatCount: Int) {
        let (metadata, entries) = try headerEntries(ofFileAt: path)
        return (metadata, entries.filter { $0.width == 4 }.reduce(0) { $0 + $1.count })
    }

    /// The metadata and the tensor entries of the file at `path`, from its header alone (checked
    /// as `init(contentsOf:)` checks it).
    static func headerEntries(ofFileAt path: String) throws -> (metadata: [String: String], entries: [HeaderEntry]) {
        let fileSize: Int
        do { fileSize = try RegularFile.size(atPath: path, limit: 8 * Limits.elements) } catch let error
            as RegularFileError
        {
            throw SafeTensorsError.unreadable(path: path, reason: error.reason)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SafeTensorsError.unreadable(path: path, reason: "permission denied")
        }
        defer { try? handle.close() }
        do {
            let prefix = try handle.read(upToCount: 8) ?? Data()
            let headerLength = try headerLength([UInt8](prefix), fileSize: max(fileSize, prefix.count), path: path)
            let headerData = try handle.read(upToCount: headerLength) ?? Data()
            guard headerData.count == headerLength else {
                throw SafeTensorsError.malformed(path: path, reason: "the file ends inside its header")
            }
            return try parseHeader(headerData, dataLength: fileSize - 8 - headerLength, path: path)
        } catch let error as SafeTensorsError {
            throw error
        } catch {
            throw SafeTensorsError.unreadable(path: path, reason: error.localizedDescription)
        }
    }

    /// Reads and parses the file at `path`.
    public init(contentsOf path: String) throws {
        let data: Data
        do { data = try RegularFile.contents(atPath: path, limit: 8 * Limits.elements) } catch let error
            as RegularFileError
        {
            throw SafeTensorsError.unreadable(path: path, reason: error.reason)
        }
        try self.init(bytes: [UInt8](data), path: path)
    }

    /// The file's bytes: tensors sorted by name, data aligned to 8 bytes, header padded with spaces.
    public func serialized() -> [UInt8] {
        let sortedEntries = entries.sorted { $0.key < $1.key }
        var offset = 0
        var headerItems: [String] = []
        if !metadata.isEmpty {
            let items = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            headerItems.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        for (name, entry) in sortedEntries {
            let size = elementCount(of: entry.shape) * entry.width
            let shape = entry.shape.map(String.init).joined(separator: ",")
            headerItems.append(
                "\(jsonString(name)):{\"dtype\":\"\(entry.dtype)\",\"shape\":[\(shape)],"
                    + "\"data_offsets\":[\(offset),\(offset + size)]}"
            )
            offset += size
        }
        var header = Array("{\(headerItems.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        for i in 0..<8 { bytes.append(UInt8((header.count >> (8 * i)) & 0xff)) }
        bytes += header
        for (_, entry) in sortedEntries {
            switch entry {
            case .float32(_, let values):
                for v in values {
                    let b = v.bitPattern
                    for i in 0..<4 { bytes.append(UInt8((b >> (8 * UInt32(i))) & 0xff)) }
                }
            case .int64(_, let values):
                for v in values {
                    let b = UInt64(bitPattern: v)
                    for i in 0..<8 { bytes.append(UInt8((b >> (8 * UInt64(i))) & 0xff)) }
                }
            case .uint8(_, let values):
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

/// The number of values of a tensor of `shape`.
private func elementCount(of shape: [Int]) -> Int { shape.reduce(1, *) }

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
            if scalar.value < 0x20 {
                result += String(format: "\\u%04x", scalar.value)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}
