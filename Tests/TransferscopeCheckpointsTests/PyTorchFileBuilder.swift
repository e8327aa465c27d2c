import Foundation

/// Pickles written opcode by opcode and zip archives laid out as torch.save lays them out, so
/// that the tests can make the files PyTorch would never write (hostile, damaged, unusual).
enum PyTorchFileBuilder {
    /// One pickle opcode (protocol 2 unless noted) with its argument.
    enum Op {
        case global(String, String)
        case stackGlobal  // protocol 4
        case string(String)
        case int(Int)  // BININT, or LONG1 beyond 32 bits
        case mark, tuple, tuple1, tuple2, tuple3, emptyTuple, emptyDict, emptyList
        case reduce, build, setItem, setItems, append, appends, persistentID
        case newFalse, none, stop
        case put(Int)
        case get(Int)
        case raw([UInt8])
    }

    static func littleEndian(_ value: Int, width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    /// The pickle of `ops` after PROTO 2.
    static func pickle(_ ops: [Op]) -> [UInt8] {
        var bytes: [UInt8] = [0x80, 0x02]
        for op in ops {
            switch op {
            case .global(let module, let name): bytes += [0x63] + Array("\(module)\n\(name)\n".utf8)
            case .stackGlobal: bytes.append(0x93)
            case .string(let text): bytes += [0x58] + littleEndian(text.utf8.count, width: 4) + Array(text.utf8)
            case .int(let value):
                if Int(Int32.min)...Int(Int32.max) ~= value {
                    bytes += [0x4a] + littleEndian(value, width: 4)
                } else {
                    bytes += [0x8a, 8] + littleEndian(value, width: 8)
                }
            case .mark: bytes.append(0x28)
            case .tuple: bytes.append(0x74)
            case .tuple1: bytes.append(0x85)
            case .tuple2: bytes.append(0x86)
            case .tuple3: bytes.append(0x87)
            case .emptyTuple: bytes.append(0x29)
            case .emptyDict: bytes.append(0x7d)
            case .emptyList: bytes.append(0x5d)
            case .reduce: bytes.append(0x52)
            case .build: bytes.append(0x62)
            case .setItem: bytes.append(0x73)
            case .setItems: bytes.append(0x75)
            case .append: bytes.append(0x61)
            case .appends: bytes.append(0x65)
            case .persistentID: bytes.append(0x51)
            case .newFalse: bytes.append(0x89)
            case .none: bytes.append(0x4e)
            case .stop: bytes.append(0x2e)
            case .put(let index): bytes += [0x72] + littleEndian(index, width: 4)
            case .get(let index): bytes += [0x6a] + littleEndian(index, width: 4)
            case .raw(let raw): bytes += raw
            }
        }
        return bytes
    }

    /// The ops of `collections.OrderedDict()` (an empty one, as torch.save starts a state dict).
    static let orderedDict: [Op] = [.global("collections", "OrderedDict"), .emptyTuple, .reduce]

    /// The ops of `_rebuild_tensor_v2` of storage `key` (`count` elements of `torch.<type>`).
    static func tensor(
        key: String, type: String = "FloatStorage", count: Int, offset: Int = 0, size: [Int], stride: [Int]
    ) -> [Op] {
        var ops: [Op] = [.global("torch._utils", "_rebuild_tensor_v2"), .mark]
        ops += [.mark, .string("storage"), .global("torch", type), .string(key), .string("cpu"), .int(count), .tuple]
        ops += [.persistentID, .int(offset)]
        ops += [.mark] + size.map { .int($0) } + [.tuple]
        ops += [.mark] + stride.map { .int($0) } + [.tuple]
        ops += [.newFalse] + orderedDict + [.tuple, .reduce]
        return ops
    }

    /// The pickle of an OrderedDict of `items` (key, the ops pushing its value).
    static func stateDict(_ items: [(String, [Op])]) -> [UInt8] {
        var ops = orderedDict + [.mark]
        for (key, value) in items { ops += [.string(key)] + value }
        return pickle(ops + [.setItems, .stop])
    }

    /// A torch.save-style archive in folder `folder`: `data.pkl`, `byteorder`, `data/KEY` per storage.
    static func torchArchive(
        pickle: [UInt8], storages: [String: [UInt8]] = [:], folder: String = "archive", byteorder: String = "little"
    ) -> [UInt8] {
        var entries: [(String, [UInt8])] = [
            ("\(folder)/data.pkl", pickle), ("\(folder)/byteorder", Array(byteorder.utf8)),
        ]
        for (key, data) in storages.sorted(by: { $0.key < $1.key }) { entries.append(("\(folder)/data/\(key)", data)) }
        entries.append(("\(folder)/version", Array("3\n".utf8)))
        return zip(entries)
    }

    /// A zip archive of stored entries (method 0 unless `method` says otherwise for the first;
    /// `flags` for every entry); `zip64` writes every size and offset in Zip64 records.
    static func zip(_ entries: [(String, [UInt8])], method: Int = 0, flags: Int = 0, zip64: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        var directory: [UInt8] = []
        for (index, (name, data)) in entries.enumerated() {
            let offset = bytes.count
            let entryMethod = index == 0 ? method : 0
            let name = Array(name.utf8)
            bytes += littleEndian(0x0403_4b50, width: 4) + littleEndian(20, width: 2) + littleEndian(flags, width: 2)
            bytes += littleEndian(entryMethod, width: 2) + [UInt8](repeating: 0, count: 8)
            bytes += littleEndian(data.count, width: 4) + littleEndian(data.count, width: 4)
            bytes += littleEndian(name.count, width: 2) + littleEndian(0, width: 2) + name + data
            let small = zip64 ? 0xffff_ffff : data.count
            let extra =
                zip64
                ? littleEndian(1, width: 2) + littleEndian(24, width: 2)
                    + littleEndian(data.count, width: 8) + littleEndian(data.count, width: 8)
                    + littleEndian(offset, width: 8)
                : []
            directory += littleEndian(0x0201_4b50, width: 4) + littleEndian(45, width: 2) + littleEndian(45, width: 2)
            directory += littleEndian(flags, width: 2) + littleEndian(entryMethod, width: 2)
            directory += [UInt8](repeating: 0, count: 8) + littleEndian(small, width: 4) + littleEndian(small, width: 4)
            directory += littleEndian(name.count, width: 2) + littleEndian(extra.count, width: 2)
            directory += [UInt8](repeating: 0, count: 10)  // comment length, disk, attributes
            directory += littleEndian(zip64 ? 0xffff_ffff : offset, width: 4) + name + extra
        }
        let directoryOffset = bytes.count
        bytes += directory
        if zip64 {
            let record = bytes.count
            bytes += littleEndian(0x0606_4b50, width: 4) + littleEndian(44, width: 8) + littleEndian(45, width: 2)
            bytes += littleEndian(45, width: 2) + [UInt8](repeating: 0, count: 8)
            bytes += littleEndian(entries.count, width: 8) + littleEndian(entries.count, width: 8)
            bytes += littleEndian(directory.count, width: 8) + littleEndian(directoryOffset, width: 8)
            bytes += littleEndian(0x0706_4b50, width: 4) + littleEndian(0, width: 4) + littleEndian(record, width: 8)
            bytes += littleEndian(1, width: 4)
        }
        bytes += littleEndian(0x0605_4b50, width: 4) + [UInt8](repeating: 0, count: 4)
        bytes += littleEndian(zip64 ? 0xffff : entries.count, width: 2)
        bytes += littleEndian(zip64 ? 0xffff : entries.count, width: 2)
        bytes += littleEndian(zip64 ? 0xffff_ffff : directory.count, width: 4)
        bytes += littleEndian(zip64 ? 0xffff_ffff : directoryOffset, width: 4) + littleEndian(0, width: 2)
        return bytes
    }

    /// The little-endian bytes of float32 `values`.
    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { littleEndian(Int($0.bitPattern), width: 4) }
    }
}
