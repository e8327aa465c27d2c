import Foundation
import TransferscopeCore
import TransferscopeIO

/// Reads a NumPy array from a (gzipped) pickle *without unpickling*: the pickle opcodes are walked
/// and only a shape tuple, the dtype string and one raw byte block are taken; nothing is executed.
///
/// This is how `numpy.ndarray.__reduce__` pickles an array (protocol 3 or later, where the data
/// is one bytes object; protocol 2 wraps it in `_codecs.encode` and is refused): `_reconstruct`, then
/// `__setstate__((1, shape, dtype, is_fortran, rawbytes))`. The shape is the last tuple of
/// integers before the data whose product matches the data's length.
public enum PickledArrayReader {
    /// The array read: dtype code, shape and raw bytes.
    public typealias Array = RawArray

    /// Reads the array from the (gzipped) pickle at `path`, without unpickling; throws `DataError` naming it.
    public static func read(_ path: String) throws -> Array {
        try parse(FileBytes.read(path), path: path)
    }

    /// Reads the array from the bytes of a pickle; `path` names it in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws -> Array {
        func fail(_ reason: String) -> DataError { .malformed(path: path, reason: "pickle: " + reason) }
        guard bytes.count > 2, bytes[0] == 0x80, bytes[1] >= 3 else {
            throw fail("not a pickle of protocol 3 or later; re-save it with pickle.dump(array, file, protocol=4)")
        }
        var position = 2
        var integers: [Int] = []  // integers pushed since the last MARK or tuple
        var tuples: [[Int]] = []
        var strings: [String] = []
        var block: [UInt8]?
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, n <= bytes.count - position else { throw fail("ends early (truncated)") }
            defer { position += n }
            return bytes[position..<(position + n)]
        }
        func littleEndian(_ n: Int) throws -> Int {
            let slice = try take(n)
            return slice.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        }
        while position < bytes.count {
            let opcode = bytes[position]
            position += 1
            switch opcode {
            case 0x2e: position = bytes.count  // STOP
            case 0x95: _ = try take(8)  // FRAME
            case 0x8c:  // SHORT_BINUNICODE
                strings.append(String(decoding: try take(try littleEndian(1)), as: UTF8.self))
            case 0x58: strings.append(String(decoding: try take(try littleEndian(4)), as: UTF8.self))  // BINUNICODE
            case 0x55:  // SHORT_BINSTRING
                strings.append(String(decoding: try take(try littleEndian(1)), as: UTF8.self))
            case 0x4b: integers.append(try littleEndian(1))  // BININT1
            case 0x4d: integers.append(try littleEndian(2))  // BININT2
            case 0x4a: integers.append(Int(Int32(truncatingIfNeeded: try littleEndian(4))))  // BININT
            case 0x28: integers = []  // MARK
            case 0x29: tuples.append([])  // EMPTY_TUPLE
            case 0x85, 0x86, 0x87, 0x74:  // TUPLE1-3, TUPLE
                let n = opcode == 0x74 ? integers.count : Int(opcode - 0x84)
                if integers.count >= n { tuples.append(Swift.Array(integers.suffix(n))) }
                integers = []
            case 0x43: block = Swift.Array(try take(try littleEndian(1)))  // SHORT_BINBYTES
            case 0x42: block = Swift.Array(try take(try littleEndian(4)))  // BINBYTES
            case 0x8e: block = Swift.Array(try take(try littleEndian(8)))  // BINBYTES8
            case 0x54: block = Swift.Array(try take(try littleEndian(4)))  // BINSTRING
            case 0x71, 0x68: _ = try take(1)  // BINPUT, BINGET
            case 0x72, 0x6a: _ = try take(4)  // LONG_BINPUT, LONG_BINGET
            case 0x94, 0x93, 0x52, 0x62, 0x88, 0x89, 0x4e, 0x5d, 0x7d, 0x61, 0x65, 0x73, 0x75, 0x30, 0x31:
                continue  // MEMOIZE, STACK_GLOBAL, REDUCE, BUILD, booleans, None, containers, POP: no payload
            case 0x63:  // GLOBAL: "module\nname\n" (protocol 3); the names are not needed
                for _ in 0..<2 {
                    guard let end = bytes[position...].firstIndex(of: 0x0a) else {
                        throw fail("ends early (truncated)")
                    }
                    position = end + 1
                }
            case 0x80: _ = try take(1)  // PROTO (again)
            case 0x8a: _ = try take(try littleEndian(1))  // LONG1
            default:
                throw fail(
                    String(
                        format: "opcode 0x%02x at byte %d is not one a NumPy array pickle uses", opcode, position - 1))
            }
        }
        guard let data = block else { throw fail("no raw array data found") }
        let widths = [
            "u1": 1, "i1": 1, "b1": 1, "i2": 2, "u2": 2, "i4": 4, "u4": 4, "i8": 8, "u8": 8, "f4": 4, "f8": 8,
        ]
        guard let dtype = strings.first(where: { widths[$0] != nil }), let width = widths[dtype] else {
            throw fail("no supported dtype string found (strings seen: \(strings.prefix(8)))")
        }
        if strings.contains(">") {
            throw DataError.unsupported(path: path, reason: "big-endian arrays are not supported")
        }
        guard
            let shape = tuples.last(where: {
                !$0.isEmpty && data.count % width == 0 && Limits.product($0) == data.count / width
            })
        else {
            throw fail("no shape tuple matches the \(data.count) bytes of data")
        }
        return Array(dtype: dtype, shape: shape, data: data)
    }
}
