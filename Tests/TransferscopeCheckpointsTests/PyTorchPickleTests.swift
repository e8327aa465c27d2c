import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeIO

/// PyTorchFile on pickles and archives written opcode by opcode (PyTorchFileBuilder): what a
/// weights-only load admits, what it refuses and how, and the checks on every size and offset.
@Suite("PyTorch pickles: weights only, bounded, refused by name")
struct PyTorchPickleTests {
    typealias Builder = PyTorchFileBuilder
    static let marker = "/tmp/transferscope-pth-payload-ran-swift"

    static func read(_ bytes: [UInt8]) throws -> [String: SafeTensors.Entry] {
        try PyTorchFile.readStateDict(bytes: bytes, path: "test.pth")
    }

    static func error(_ bytes: [UInt8]) -> PyTorchFileError? { PyTorchFileTests.error { try read(bytes) } }

    /// An archive with the pickle of `ops` and six floats 0...5 as storage "0".
    static func archive(_ ops: [Builder.Op]) -> [UInt8] {
        Builder.torchArchive(pickle: Builder.pickle(ops), storages: ["0": Builder.floats([0, 1, 2, 3, 4, 5])])
    }

    /// {'w': the tensor of storage "0" (six floats) with `offset`, `size` and `stride`}.
    static func tensorArchive(offset: Int = 0, size: [Int], stride: [Int], count: Int = 6) -> [UInt8] {
        let tensor = Builder.tensor(key: "0", count: count, offset: offset, size: size, stride: stride)
        return Builder.torchArchive(
            pickle: Builder.stateDict([("w", tensor)]), storages: ["0": Builder.floats([0, 1, 2, 3, 4, 5])])
    }

    @Test("A state dict written opcode by opcode reads, from a Zip64 archive too")
    func builtStateDict() throws {
        let pickle = Builder.stateDict([
            ("w", Builder.tensor(key: "0", count: 6, size: [2, 3], stride: [3, 1])),
            ("n", Builder.tensor(key: "1", type: "LongStorage", count: 1, size: [], stride: [])),
        ])
        let storages = ["0": Builder.floats([0, 1, 2, 3, 4, 5]), "1": Builder.littleEndian(-7, width: 8)]
        let expected: [String: SafeTensors.Entry] = [
            "w": .float32(shape: [2, 3], values: [0, 1, 2, 3, 4, 5]), "n": .int64(shape: [], values: [-7]),
        ]
        #expect(try Self.read(Builder.torchArchive(pickle: pickle, storages: storages, folder: "any name")) == expected)
        var entries: [(String, [UInt8])] = [("a/data.pkl", pickle), ("a/byteorder", Array("little".utf8))]
        entries += storages.map { ("a/data/\($0.key)", $0.value) }
        #expect(try Self.read(Builder.zip(entries, zip64: true)) == expected)
    }

    @Test(
        "Globals but tensors, storages and OrderedDict are refused by name, by GLOBAL or STACK_GLOBAL, and never run",
        arguments: [
            ("os", "system"), ("posix", "system"), ("builtins", "eval"), ("__builtin__", "getattr"),
            ("builtins", "exec"), ("subprocess", "Popen"), ("torch", "load"), ("torch._utils", "_rebuild_qtensor"),
            ("collections", "defaultdict"), ("numpy.core.multiarray", "_reconstruct"), ("torch", "Tensor"),
        ])
    func refusedGlobals(_ global: (String, String)) throws {
        try? FileManager.default.removeItem(atPath: Self.marker)
        let (module, name) = global
        let payload: [Builder.Op] = [.string("touch \(Self.marker)"), .tuple1, .reduce, .stop]
        let stackGlobal: [Builder.Op] = [.string(module), .string(name), .stackGlobal]
        // The global called at the top, inside a state dict's value, and as a storage's type.
        let pickles: [[Builder.Op]] = [
            [.global(module, name)] + payload, stackGlobal + payload,
            Builder.orderedDict + [
                .string("w"), .global(module, name), .string("x"), .tuple1, .reduce, .setItem, .stop,
            ],
            Builder.orderedDict + [.string("w")]
                + Builder.tensor(key: "0", type: "FloatStorage", count: 6, size: [6], stride: [1])
                .map { if case .global("torch", "FloatStorage") = $0 { .global(module, name) } else { $0 } }
                + [.setItem, .stop],
        ]
        for ops in pickles {
            let error = Self.error(Self.archive(ops))
            #expect(error == .refusedGlobal(path: "test.pth", module: module, name: name))
            #expect(error?.localizedDescription.contains("will not run `\(module).\(name)`") == true)
        }
        #expect(!FileManager.default.fileExists(atPath: Self.marker), "the payload ran")
    }

    // NEWOBJ, NEWOBJ_EX, INST, OBJ, EXT1, PERSID, NEXT_BUFFER, READONLY_BUFFER, INT, STRING
    @Test(
        "Opcodes a state dict's pickle does not use are errors naming them",
        arguments: [0x81, 0x92, 0x69, 0x6f, 0x82, 0x50, 0x97, 0x98, 0x49, 0x53])
    func unknownOpcodes(_ opcode: Int) throws {
        let error = Self.error(Self.archive(Builder.orderedDict + [.raw([UInt8(opcode), 0x0a, 0x0a]), .stop]))
        guard case .malformedPickle(_, let reason)? = error else {
            Issue.record("0x\(String(opcode, radix: 16)): \(String(describing: error))")
            return
        }
        #expect(reason.contains(String(format: "opcode 0x%02x at byte 29", opcode)), "\(reason)")
    }

    @Test(
        "Damaged pickles are errors, never traps",
        arguments: [
            ([.reduce], "pops a value it never pushed"),  // REDUCE on an empty stack
            ([.mark, .tuple1], "pops a value it never pushed"),  // TUPLE1 reaching below its MARK
            ([.tuple], "needs a MARK"),
            ([.get(5)], "never put"),
            ([.string("x"), .emptyTuple, .reduce], "calls a string"),
            ([.global("torch", "FloatStorage"), .emptyTuple, .reduce], "comes only from a persistent id"),
            ([.global("collections", "OrderedDict"), .string("x"), .tuple1, .reduce], "arguments it does not take"),
            ([.emptyDict, .emptyDict, .build], "only an OrderedDict's"),
            (Builder.orderedDict + [.string("state"), .build], "state to a string"),
            ([.emptyList, .string("k"), .string("v"), .setItem], "SETITEM on a list"),
            ([.emptyDict, .mark, .string("k"), .setItems], "odd number"),
            ([.int(1), .string("x"), .append], "APPEND on an int"),
            ([.mark, .string("storage"), .tuple, .persistentID], "persistent id"),
            ([.raw([0x80, 9])], "protocol 9"),
            ([.raw([0x58, 0xff, 0xff, 0xff, 0x7f])], "truncated"),  // BINUNICODE longer than the pickle
            ([.raw([0x8c, 2, 0xc3, 0x28])], "not UTF-8"),
            ([.raw([0x8a, 9] + [UInt8](repeating: 1, count: 9))], "wider than 64 bits"),
            ([.raw([0x63] + [UInt8](repeating: 0x61, count: 300))], "does not end within 256 bytes"),
        ] as [([Builder.Op], String)])
    func damagedPickles(_ example: ([Builder.Op], String)) throws {
        let error = Self.error(Self.archive(example.0 + [.stop]))
        guard case .malformedPickle(let path, let reason)? = error else {
            Issue.record("\(example.1): \(String(describing: error))")
            return
        }
        #expect(path == "test.pth" && reason.contains(example.1), "\(reason)")
    }

    @Test("Every truncation of a pickle inside a valid archive throws")
    func truncatedPickle() throws {
        let pickle = Builder.stateDict([("w", Builder.tensor(key: "0", count: 6, size: [2, 3], stride: [3, 1]))])
        #expect(try Self.read(Self.tensorArchive(size: [2, 3], stride: [3, 1])).count == 1)
        for length in 0..<pickle.count {
            let archive = Builder.torchArchive(
                pickle: Array(pickle[..<length]), storages: ["0": Builder.floats([0, 1, 2, 3, 4, 5])])
            #expect(Self.error(archive) != nil, "the pickle cut to \(length) bytes was read")
        }
    }

    @Test("Deep nesting and cycles end in an error, without recursing or hanging")
    func nestingAndCycles() throws {
        // 300,000 nested tuples: releasing them recursively would overflow the stack.
        let deep = Builder.pickle([.emptyTuple]) + [UInt8](repeating: 0x85, count: 300_000) + [0x2e]
        let archive = Builder.torchArchive(pickle: deep)
        #expect(Self.error(archive) == .noTensors(path: "test.pth", found: "its pickle is a tuple, not a dict"))
        // A list that holds itself, and a dict whose value is the dict.
        let selfList = Self.error(Self.archive([.emptyList, .put(0), .get(0), .append, .stop]))
        #expect(selfList == .noTensors(path: "test.pth", found: "its pickle is a list, not a dict"))
        let selfDict: [Builder.Op] = [.emptyDict, .put(0), .string("state_dict"), .get(0), .setItem, .stop]
        guard case .noTensors(_, let found)? = Self.error(Self.archive(selfDict)) else {
            Issue.record("a dict holding itself was not refused as tensor-less")
            return
        }
        #expect(found.contains("state_dict"))
    }

    @Test(
        "Tensors must lie inside their storage",
        arguments: [
            (0, [2, 3], [3, 1], 6, nil), (1, [2, 3], [3, 1], 6, "reaches element 6"),
            (0, [2, 3], [4, 1], 6, "reaches element 6"), (0, [2, 3], [3], 6, "2 sizes but 1 strides"),
            (0, [2, 3], [3, -1], 6, "negative"), (-1, [2], [1], 6, "negative"),
            (0, [1 << 40, 1 << 40], [1, 1], 6, "more than"), (0, [6], [1], 7, "7 elements"),
            (0, [6], [1], 1 << 62, "4611686018427387904 elements"), (6, [0, 3], [3, 1], 6, nil),
        ] as [(Int, [Int], [Int], Int, String?)])
    func tensorBounds(_ example: (Int, [Int], [Int], Int, String?)) throws {
        let (offset, size, stride, count, expected) = example
        let bytes = Self.tensorArchive(offset: offset, size: size, stride: stride, count: count)
        guard let expected else {
            #expect(try Self.read(bytes)["w"]?.shape == size)
            return
        }
        let message = Self.error(bytes)?.localizedDescription ?? "read"
        #expect(message.contains(expected) && message.contains("test.pth"), "\(message)")
    }

    @Test("Strides gather: a transposed view and a size-1 dimension with a huge stride")
    func strides() throws {
        #expect(
            try Self.read(Self.tensorArchive(size: [3, 2], stride: [1, 3]))["w"]
                == .float32(shape: [3, 2], values: [0, 3, 1, 4, 2, 5]))
        #expect(
            try Self.read(Self.tensorArchive(offset: 2, size: [1, 2, 2], stride: [1 << 60, 1, 2]))["w"]
                == .float32(shape: [1, 2, 2], values: [2, 4, 3, 5]))
    }

    @Test("A stride-0 tensor that would multiply a small file into a huge one is refused")
    func amplification() throws {
        let message = Self.error(Self.tensorArchive(size: [1 << 24], stride: [0]))?.localizedDescription ?? "read"
        #expect(message.contains("16 per byte of the file"), "\(message)")
    }

    @Test(
        "Training checkpoints: the first of the known keys that holds tensors; no tensors is an error naming the keys")
    func checkpoints() throws {
        let tensor = Builder.tensor(key: "0", count: 6, size: [6], stride: [1])
        let inner = Builder.orderedDict + [.mark, .string("a")] + tensor + [.setItems]
        let other = Builder.orderedDict + [.mark, .string("b")] + tensor + [.setItems]
        let checkpoint: [Builder.Op] =
            [.emptyDict, .mark, .string("epoch"), .int(3), .string("model")] + other
            + [.string("optimizer"), .emptyList, .mark, .int(0), .int(1), .appends, .emptyDict, .append]
            + [.string("state_dict")] + inner + [
                .string("best"), .raw([0x47] + [0x3f, 0xe0] + [UInt8](repeating: 0, count: 6)),
            ]
            + [.setItems, .stop]
        #expect(try Self.read(Self.archive(checkpoint)).keys.sorted() == ["a"])
        let modelOnly: [Builder.Op] =
            [.emptyDict, .mark, .string("epoch"), .int(3), .string("model")] + other + [.setItems, .stop]
        #expect(try Self.read(Self.archive(modelOnly)).keys.sorted() == ["b"])
        let error = Self.error(Self.archive([.emptyDict, .string("epoch"), .int(3), .setItem, .stop]))
        guard case .noTensors? = error else {
            Issue.record("a checkpoint without tensors: \(String(describing: error))")
            return
        }
        let message = error?.localizedDescription ?? ""
        #expect(message.contains("test.pth holds no tensors") && message.contains("epoch"), "\(message)")
        let mixed =
            Builder.orderedDict + [.mark, .string("a")] + tensor + [.string("epoch"), .int(3), .setItems, .stop]
        #expect(Self.error(Self.archive(mixed))?.localizedDescription.contains("an int at epoch") == true)
    }

    @Test(
        "Archives torch.save does not write are refused, naming what is wrong",
        arguments: [
            ("compressed", "method 8 (deflate)"), ("encrypted", "encrypted"), ("big", "byteorder is \"big\""),
            ("no pickle", "without FOLDER/data.pkl"), ("two folders", "2 folders"), ("torchscript", "TorchScript"),
            ("missing storage", "names storage 0, which the archive lacks"), ("text", "no zip end"),
        ])
    func archives(_ example: (String, String)) throws {
        let pickle = Builder.stateDict([("w", Builder.tensor(key: "0", count: 1, size: [], stride: []))])
        let one = Builder.floats([1])
        let bytes: [UInt8]
        switch example.0 {
        case "compressed": bytes = Builder.zip([("a/data.pkl", pickle), ("a/data/0", one)], method: 8)
        case "encrypted": bytes = Builder.zip([("a/data.pkl", pickle), ("a/data/0", one)], flags: 1)
        case "big": bytes = Builder.torchArchive(pickle: pickle, storages: ["0": one], byteorder: "big")
        case "no pickle": bytes = Builder.zip([("data.pkl", pickle), ("a/data/0", one)])
        case "two folders": bytes = Builder.zip([("a/data.pkl", pickle), ("b/data.pkl", pickle)])
        case "torchscript": bytes = Builder.zip([("a/data.pkl", pickle), ("a/code/__torch__.py", [])])
        case "missing storage": bytes = Builder.torchArchive(pickle: pickle)
        default: bytes = Array("not a pytorch file, just text".utf8)
        }
        let message = Self.error(bytes)?.localizedDescription ?? "read"
        #expect(message.contains(example.1) && message.contains("test.pth"), "\(message)")
    }

    @Test("A missing file or a folder is an error naming it")
    func unreadable() throws {
        for path in ["/nonexistent/model.pth", NSTemporaryDirectory()] {
            let error = PyTorchFileTests.error { try PyTorchFile.readStateDict(path: path) }
            guard case .unreadable(let named, _)? = error else {
                Issue.record("\(path): \(String(describing: error))")
                continue
            }
            #expect(named == path)
        }
    }
}
