import ArgumentParser
import Foundation
import Testing

@testable import transferscope

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The commands of `transferscope`, run in this process through the argument parser: parsing and
/// `validate()` as the executable does them, then `run()`.
enum CLI {
    /// Parses `arguments` as the command line (without the program name) and runs the command.
    static func run(_ arguments: [String]) throws {
        var command = try Transferscope.parseAsRoot(arguments)
        try command.run()
    }

    /// Runs the command and returns what it printed on standard output.
    static func output(_ arguments: [String]) throws -> String {
        try capturingStandardOutput { try run(arguments) }
    }

    /// What `body` writes to standard output (file descriptor 1), which is restored afterwards.
    static func capturingStandardOutput(_ body: () throws -> Void) throws -> String {
        let path = NSTemporaryDirectory() + "transferscope-stdout-" + UUID().uuidString
        defer { unlink(path) }
        let file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(file >= 0, "cannot open \(path)")
        fflush(nil)  // every C stream, standard output among them
        let saved = dup(1)
        dup2(file, 1)
        close(file)
        defer {
            fflush(nil)  // every C stream, standard output among them
            dup2(saved, 1)
            close(saved)
        }
        try body()
        fflush(nil)  // every C stream, standard output among them
        return try String(contentsOfFile: path, encoding: .utf8)
    }
}

/// A fresh temporary directory for one test's files.
func temporaryDirectory(_ label: String) throws -> String {
    let path = NSTemporaryDirectory() + "transferscope-cli-\(label)-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The JSON object in `path` (numbers as `Double`, `Int` or `Bool` through `NSNumber`).
func jsonObject(_ path: String) throws -> [String: Any] {
    let data = try #require(FileManager.default.contents(atPath: path), "no file \(path)")
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(path) is not a JSON object")
}

/// The number under `key` in the JSON object `json`, read exactly. Foundation's JSONSerialization
/// on Linux rounds some decimals one ulp off (it reads 0.022751212120056152, which the engine
/// wrote, as 0.022751212120056145), so a number compared for equality with one read by
/// JSONDecoder (`decode`) is read here by JSONDecoder too.
func exactNumber(_ key: String, in json: Data) throws -> Double? {
    struct Field: Decodable {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        static let name = CodingUserInfoKey(rawValue: "key")!
        let value: Double?
        init(from decoder: Decoder) throws {
            let key = try #require(decoder.userInfo[Self.name] as? String)
            value = try decoder.container(keyedBy: Key.self).decodeIfPresent(Double.self, forKey: Key(stringValue: key))
        }
    }
    let decoder = JSONDecoder()
    decoder.userInfo[Field.name] = key
    return try decoder.decode(Field.self, from: json).value
}

/// `path` decoded as `T`, reading the "nan"/"inf" strings the analyses write for non-finite numbers.
func decode<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
    let data = try #require(FileManager.default.contents(atPath: path), "no file \(path)")
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try decoder.decode(type, from: data)
}

/// A CSV file as rows of fields (the files these commands write quote only names, never a comma
/// inside numbers); the header is the first row.
func csvRows(_ path: String) throws -> [[String]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.hasSuffix("\n"), "\(path) does not end with a newline")
    return text.split(separator: "\n", omittingEmptySubsequences: true).map { line in
        line.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
    }
}

/// The field of `row` as a number, or a failed test.
func number(_ field: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Double {
    try #require(Double(field), "'\(field)' is not a number", sourceLocation: sourceLocation)
}
