import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeIO

/// PyTorchFile against the files torch.save wrote (Fixtures/generate_pytorch_fixtures.py): every
/// tensor equals, bit for bit, what PyTorch itself wrote to safetensors from the same state dict.
@Suite("PyTorch files read as PyTorch wrote them")
struct PyTorchFileTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func safetensors(_ name: String) throws -> [String: SafeTensors.Entry] {
        try SafeTensors(contentsOf: fixture(name)).entries
    }

    /// The error `body` throws, or nil.
    static func error(_ body: () throws -> Any) -> PyTorchFileError? {
        do {
            _ = try body()
            return nil
        } catch let error as PyTorchFileError {
            return error
        } catch {
            Issue.record("not a PyTorchFileError: \(error)")
            return nil
        }
    }

    @Test("Each model's state dict equals its plain safetensors", arguments: ["resnet10-w8", "resnet50-w4", "resnet8"])
    func models(_ name: String) throws {
        let read = try PyTorchFile.readStateDict(path: Self.fixture(name + ".pth"))
        let expected = try Self.safetensors(name + ".safetensors")
        #expect(read.count == expected.count && read.count > 20)
        #expect(read == expected)
        #expect(read["bn1.num_batches_tracked"].map { if case .int64 = $0 { true } else { false } } == true)
        // The expected logits the end-to-end tests use are present and shaped as the metadata says.
        let logits = try SafeTensors(contentsOf: Self.fixture(name + ".expected.safetensors"))
        let side = Int(logits.metadata["side"] ?? "") ?? 0
        let channels = Int(logits.metadata["in_ch"] ?? "") ?? 0
        #expect(logits.entries["input"]?.shape.suffix(3) == [channels, side, side])
        #expect(logits.entries["logits"]?.shape.last == Int(logits.metadata["classes"] ?? ""))
    }

    @Test("resnet8 variants: a module. prefix, a missing key, channels_last and a training checkpoint")
    func variants() throws {
        let plain = try Self.safetensors("resnet8.safetensors")
        let prefixed = try PyTorchFile.readStateDict(path: Self.fixture("resnet8-module-prefix.pth"))
        #expect(prefixed == Dictionary(uniqueKeysWithValues: plain.map { ("module." + $0.key, $0.value) }))
        var missing = plain
        #expect(missing.removeValue(forKey: "layer2.0.bn1.running_var") != nil)
        #expect(try PyTorchFile.readStateDict(path: Self.fixture("resnet8-missing-key.pth")) == missing)
        // Stored channels_last (the script checks the strides changed): read as a stride-blind
        // copy of the storage, every convolution weight would be permuted.
        #expect(try PyTorchFile.readStateDict(path: Self.fixture("resnet8-channels-last.pth")) == plain)
        #expect(try PyTorchFile.readStateDict(path: Self.fixture("resnet8-checkpoint.pth")) == plain)
    }

    @Test("A float16 state dict converts exactly to float32; integers stay integers")
    func half() throws {
        let read = try PyTorchFile.readStateDict(path: Self.fixture("resnet8-half.pth"))
        #expect(read == (try Self.safetensors("resnet8-half.safetensors")))
        // The conversion is not the identity on the float32 originals: the fixture really is half.
        let original = try Self.safetensors("resnet8.safetensors")
        #expect(read["conv1.weight"] != original["conv1.weight"])
        #expect(read["bn1.num_batches_tracked"] == original["bn1.num_batches_tracked"])
    }

    @Test("Every storage type converts as PyTorch converts it; strided, offset and broadcast views gather right")
    func dtypes() throws {
        let read = try PyTorchFile.readStateDict(path: Self.fixture("dtypes.pth"))
        #expect(read == (try Self.safetensors("dtypes.safetensors")))
        // A few values written out, so that a shared mistake of the two readers would show too.
        #expect(
            read["float16"]
                == .float32(
                    shape: [10],
                    values: [0, -0.0, 1, -2.5, 65504, 0x1p-24, 0x1.5p-17, 0x1.998p-4, .infinity, -.infinity]))
        #expect(read["float16"].map { if case .float32(_, let v) = $0 { v[1].sign == .minus } else { false } } == true)
        #expect(read["int64"] == .int64(shape: [5], values: [.min, -1, 0, 1, .max]))
        #expect(read["int8"] == .int64(shape: [3], values: [-128, -1, 127]))
        #expect(read["uint8"] == .int64(shape: [3], values: [0, 200, 255]))
        #expect(read["bool"] == .int64(shape: [3], values: [1, 0, 1]))
        #expect(read["scalar"] == .float32(shape: [], values: [3.5]))
        #expect(read["empty"] == .float32(shape: [0, 3], values: []))
        #expect(read["parameter"] == .float32(shape: [1, 2], values: [1.5, -2]))  // via _rebuild_parameter
        #expect(read["expanded"] == .float32(shape: [4, 3], values: [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]))
        guard case .float32(_, let base)? = read["shared"], case .float32(let shape, let view)? = read["view_offset"],
            case .float32(let transposedShape, let transposed)? = read["transposed"]
        else {
            Issue.record("views missing")
            return
        }
        #expect(shape == [2, 3] && view == [8, 9, 10, 14, 15, 16].map { base[$0] })
        #expect(transposedShape == [6, 4] && transposed[1] == base[6] && transposed[4] == base[1])
    }

    @Test("The legacy format (torch < 1.6) is refused with the way to re-save it")
    func legacy() throws {
        let path = Self.fixture("resnet8-legacy.pth")
        let error = Self.error { try PyTorchFile.readStateDict(path: path) }
        #expect(error == .legacyFormat(path: path))
        let message = error?.localizedDescription ?? ""
        #expect(message.contains(path) && message.contains("torch >= 1.6"))
        #expect(message.contains("torch.save(model.state_dict(), path)"))
    }

    @Test("A file whose pickle calls os.system is refused, naming it, and the command never runs")
    func hostileFixture() throws {
        let marker = "/tmp/transferscope-pth-payload-ran"
        try? FileManager.default.removeItem(atPath: marker)
        let path = Self.fixture("hostile-os-system.pth")
        let error = Self.error { try PyTorchFile.readStateDict(path: path) }
        #expect(error == .refusedGlobal(path: path, module: "os", name: "system"))
        let message = error?.localizedDescription ?? ""
        #expect(message.contains(path) && message.contains("it will not run `os.system`"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("Every truncation of a file throws (never traps)", arguments: ["dtypes.pth", "resnet8-checkpoint.pth"])
    func truncated(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixture(name))))
        #expect(try PyTorchFile.readStateDict(bytes: bytes, path: name).count > 5)
        // Every length for the small file; for the larger, every length within 600 bytes of the
        // end (the directory and end records) and every 61st before.
        let lengths =
            bytes.count < 10_000
            ? Array(0..<bytes.count)
            : Array(stride(from: 0, to: bytes.count, by: 61))
                + Array((bytes.count - 600)..<bytes.count)
        var accepted: [Int] = []
        for length in lengths where (try? PyTorchFile.readStateDict(bytes: Array(bytes[..<length]), path: name)) != nil
        {
            accepted.append(length)
        }
        #expect(accepted.isEmpty, "truncated to \(accepted.prefix(5)) bytes, \(name) was read")
    }

    @Test("Damaged central directory offsets are errors naming the file")
    func damagedDirectory() throws {
        let name = "dtypes.pth"
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixture(name))))
        // torch writes the end record (offset at end + 16) and the Zip64 end record (offset at +48).
        let end = bytes.count - 22
        let zip64 = Int(bytes[end - 12]) | Int(bytes[end - 11]) << 8 | Int(bytes[end - 10]) << 16
        #expect(
            bytes[end..<(end + 4)] == [0x50, 0x4b, 0x05, 0x06] && bytes[zip64..<(zip64 + 4)] == [0x50, 0x4b, 6, 6])
        let offset = Int(bytes[end + 16]) | Int(bytes[end + 17]) << 8 | Int(bytes[end + 18]) << 16
        for damaged in [0, 1, offset - 1, offset + 1, offset + 46, bytes.count, 0x7fff_ffff] {
            for places in [[end + 16], [zip64 + 48], [end + 16, zip64 + 48]] {
                var changed = bytes
                for place in places {
                    for i in 0..<4 { changed[place + i] = UInt8(truncatingIfNeeded: damaged >> (8 * i)) }
                }
                let error = Self.error { try PyTorchFile.readStateDict(bytes: changed, path: name) }
                guard case .malformedArchive(let path, _)? = error else {
                    Issue.record("offset \(damaged) at \(places): \(String(describing: error))")
                    continue
                }
                #expect(path == name)
            }
        }
        // Every byte of the central directory inverted in turn: an error or a read, never a trap.
        for place in offset..<bytes.count {
            var changed = bytes
            changed[place] ^= 0xff
            _ = try? PyTorchFile.readStateDict(bytes: changed, path: name)
        }
    }
}
