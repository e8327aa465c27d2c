import Foundation

/// Why a value could not be written or read as JSON; the message names the file or the value.
public enum JSONFileError: Error, LocalizedError, Equatable {
    /// The value does not encode (a Swift encoding failure; non-finite numbers do encode).
    case unencodable(what: String, reason: String)
    /// The file is missing, unreadable, or does not decode as the expected type.
    case unreadable(path: String, reason: String)

    /// The message for the user: the file or value, and why it does not encode or decode.
    public var errorDescription: String? {
        switch self {
        case .unencodable(let what, let reason): return "cannot encode \(what) as JSON: \(reason)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        }
    }
}

/// The one JSON convention of every file Transferscope writes: sorted keys, no escaped slashes,
/// and NaN / ±infinity as the strings "nan", "inf" and "-inf" (JSON has no such numbers), which
/// `decoder()` reads back. Encoding throws instead of writing a placeholder, so a cache key or
/// a record is never silently "null".
public enum JSONFile {
    /// An encoder with the convention; `pretty` indents (files a person reads), else one line
    /// (checkpoint metadata, cache keys).
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// A decoder for what `encoder` writes: "nan", "inf" and "-inf" read back as numbers.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// `value` as JSON bytes.
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = true) throws -> Data {
        do { return try encoder(pretty: pretty).encode(value) } catch {
            throw JSONFileError.unencodable(what: "\(T.self)", reason: describeDecodingError(error))
        }
    }

    /// `value` as one line of JSON text (sorted keys): checkpoint metadata and cache keys.
    public static func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encode(value, pretty: false), as: UTF8.self)
    }

    /// Writes `value` as pretty JSON to `path`, atomically.
    public static func write<T: Encodable>(_ value: T, to path: String) throws {
        try AtomicFile.write(try encode(value), to: path)
    }

    /// The value of type `T` in the JSON file at `path`; throws naming the file when it is
    /// missing, not a regular file, or does not decode.
    public static func read<T: Decodable>(_ type: T.Type, from path: String, limit: Int = 1 << 30) throws -> T {
        let data: Data
        do { data = try RegularFile.contents(atPath: path, limit: limit) } catch let error as RegularFileError {
            throw JSONFileError.unreadable(path: path, reason: error.reason)
        }
        do { return try decoder().decode(type, from: data) } catch {
            throw JSONFileError.unreadable(path: path, reason: describeDecodingError(error))
        }
    }

    /// The value of type `T` in the JSON text `text`; `what` names it in errors.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, what: String) throws -> T {
        do { return try decoder().decode(type, from: Data(text.utf8)) } catch {
            throw JSONFileError.unreadable(path: what, reason: describeDecodingError(error))
        }
    }
}
