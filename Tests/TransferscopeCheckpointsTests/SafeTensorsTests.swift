import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeIO
import TransferscopeNN

@Suite("safetensors")
struct SafeTensorsTests {
    static func temporaryPath(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "transferscope-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    static let sample = SafeTensors(
        entries: [
            "a": .float32(shape: [2, 3], values: [1, -2, 3.5, .infinity, 0, -0.25]),
            "count": .int64(shape: [], values: [-7]),
            "z.empty": .float32(shape: [0], values: []),
        ],
        metadata: ["format": "pt", "note": "quote \" and \\ and é"])

    @Test("round trip through bytes and files")
    func roundTrip() throws {
        let bytes = Self.sample.serialized()
        #expect(try SafeTensors(bytes: bytes, path: "memory") == Self.sample)
        let path = Self.temporaryPath("x.safetensors")
        try Self.sample.write(to: path)
        #expect(try SafeTensors(contentsOf: path) == Self.sample)
    }

    @Test("the byte layout follows the format: u64 header length, JSON, 8-byte aligned data")
    func layout() throws {
        let bytes = SafeTensors(entries: ["w": .float32(shape: [1], values: [1])]).serialized()
        var length = 0
        for i in 0..<8 { length |= Int(bytes[i]) << (8 * i) }
        #expect((8 + length) % 8 == 0)
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as! [String: Any]
        let w = header["w"] as! [String: Any]
        #expect(w["dtype"] as? String == "F32")
        #expect((w["data_offsets"] as! [Int]) == [0, 4])
        #expect(Array(bytes[(8 + length)...]) == [0x00, 0x00, 0x80, 0x3f])  // 1.0f little-endian
    }

    @Test("truncated and malformed files are clear errors, never crashes", arguments: [0, 3, 8, 20, 60, -1, -4])
    func truncated(cut: Int) {
        let bytes = Self.sample.serialized()
        let prefix = cut >= 0 ? Array(bytes.prefix(cut)) : Array(bytes.dropLast(-cut))
        #expect(throws: SafeTensorsError.self) { try SafeTensors(bytes: prefix, path: "cut.safetensors") }
    }

    @Test(
        "a header that lies about shapes, offsets or dtypes is rejected",
        arguments: [
            #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
            #"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#,
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,80]}}"#,
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1]"#
                + #","data_offsets":[2,6]}}"#,
            #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
            #"{"a":{"shape":[1],"data_offsets":[0,4]}}"#,
            #"[1, 2]"#,
            #"{"__metadata__":{"k":3}}"#,
        ])
    func lyingHeader(header: String) {
        var json = Array(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes: [UInt8] = (0..<8).map { UInt8((json.count >> (8 * $0)) & 0xff) }
        bytes += json + [UInt8](repeating: 0, count: 8)
        #expect(throws: SafeTensorsError.self) { try SafeTensors(bytes: bytes, path: "bad.safetensors") }
    }

    /// A file whose header lists `entries` (name, begin, end) of F32 [count] tensors, in that order.
    static func file(_ entries: [(String, Int, Int)], dataBytes: Int) -> [UInt8] {
        let fields = entries.map { name, begin, end in
            "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\((end - begin) / 4)],\"data_offsets\":[\(begin),\(end)]}"
        }
        var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        let length = UInt64(header.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + header
            + [UInt8](repeating: 0, count: dataBytes)
    }

    @Test("an empty tensor at another's offset overlaps nothing, in either order; real overlaps are refused")
    func emptyTensors() throws {
        for order in [[("empty", 8, 8), ("full", 8, 20)], [("full", 8, 20), ("empty", 8, 8)]] {
            let entries = [("first", 0, 8)] + order.map { ($0.0, $0.1, $0.2) }
            let file = try SafeTensors(bytes: Self.file(entries, dataBytes: 20), path: "e.safetensors")
            #expect(file.entries["empty"]?.shape == [0] && file.entries["full"]?.shape == [3])
        }
        #expect(throws: SafeTensorsError.self) {
            try SafeTensors(bytes: Self.file([("a", 0, 12), ("b", 8, 20)], dataBytes: 20), path: "o.safetensors")
        }
    }

    @Test("a missing file names the path")
    func missingFile() {
        do {
            _ = try SafeTensors(contentsOf: "/nonexistent/model.safetensors")
            Issue.record("expected an error")
        } catch {
            #expect(error.localizedDescription.contains("/nonexistent/model.safetensors"))
        }
    }

    @Test("an atomic write leaves no temporary file and replaces the old one whole")
    func atomicWrite() throws {
        let path = Self.temporaryPath("atomic.safetensors")
        try SafeTensors(entries: ["old": .float32(shape: [1], values: [1])]).write(to: path)
        try Self.sample.write(to: path)
        #expect(try SafeTensors(contentsOf: path) == Self.sample)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["atomic.safetensors"])
        #expect(throws: FileWriteError.self) { try Self.sample.write(to: "/nonexistent-dir/x.safetensors") }
    }
}
