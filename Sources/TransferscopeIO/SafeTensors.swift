import Foundation

/// A safetensors file's contents: named tensors (F32, I64 or U8) and string metadata.
///
/// Format (huggingface/safetensors): 8-byte little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}`,
/// then the raw little-endian data, offsets relative to the end of the header.
public struct SafeTensors: Equatable, Sendable {
    /// One stored tensor.
    public enum Entry: Equatable, Sendable {
        case float32(shape: [Int], values: [Float])
        case int64(shape: [Int], values: [Int64])
        case uint8(shape: [Int], values: [UInt8])

        /// The tensor's dimensions, outermost first (row-major).
        public var shape: [Int] {
            switch self {
            case .float32(let shape, _), .int64(let shape, _), .uint8(let shape, _): return shape
            }
        }

        var dtype: String {
            switch self {
            case .float32: return "F32"
            case .int64: return "I64"
            case .uint8: return "U8"
            }
        }

        /// Bytes per element.
        var width: Int {
            switch self {
            case .float32: return 4
            case .int64: return 8
            case .uint8: return 1
            }
        }
    }

    /// The tensors, by name (e.g. `layer1.0.conv1.weight`).
    public var entries: [String: Entry]
    /// The header's `__metadata__` strings, by key.
    public var metadata: [String: String]

    /// A file's contents from its tensors and metadata; both empty by default.
    public init(entries: [String: Entry] = [:], metadata: [String: String] = [:]) {
        self.entries = entries
        self.metadata = metadata
    }

    /// The F32 tensor called `name`, or nil.
    public func floats(_ name: String) -> (shape: [Int], values: [Float])? {
        if case .float32(let shape, let values)? = entries[name] { return (shape, values) }
        return nil
    }

    /// The U8 tensor called `name`, or nil.
    public func bytes(_ name: String) -> (shape: [Int], values: [UInt8])? {
        if case .uint8(let shape, let values)? = entries[name] { return (shape, values) }
        return nil
    }

    /// The I64 tensor called `name`, or nil.
    public func integers(_ name: String) -> (shape: [Int], values: [Int64])? {
        if case .int64(let shape, let values)? = entries[name] { return (shape, values) }
        return nil
    }
}

/// What can go wrong reading or writing a safetensors file; each message names the file.
public enum SafeTensorsError: Error, LocalizedError, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)

    /// The message for the user: the file, what is wrong with it, and what to check.
    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason). Check that the path exists and is readable."
        case .malformed(let path, let reason):
            return "\(path) is not a valid safetensors file: \(reason). Re-create it or point to another file."
        }
    }
}
