import Foundation
import TransferscopeIO

/// The element type of a torch storage, named as its pickled class (`torch.FloatStorage`, ...).
enum TorchStorageType: String, CaseIterable {
    case float = "FloatStorage"
    case double = "DoubleStorage"
    case half = "HalfStorage"
    case bfloat16 = "BFloat16Storage"
    case long = "LongStorage"
    case int = "IntStorage"
    case short = "ShortStorage"
    case char = "CharStorage"
    case byte = "ByteStorage"
    case bool = "BoolStorage"

    /// Bytes per element.
    var width: Int {
        switch self {
        case .double, .long: return 8
        case .float, .int: return 4
        case .half, .bfloat16, .short: return 2
        case .char, .byte, .bool: return 1
        }
    }
}

/// A storage: `count` little-endian elements of `type`, the bytes of the archive's `data/KEY` entry.
struct TorchStorage {
    var type: TorchStorageType
    var key: String
    /// Where its bytes are in the file.
    var bytes: Range<Int>
    var count: Int
}

/// A tensor as `torch._utils._rebuild_tensor_v2` makes one: a strided view of a storage,
/// element (i0, i1, ...) at `offset + i0 * strides[0] + i1 * strides[1] + ...`, checked to lie inside it.
struct TorchTensor {
    let storage: TorchStorage
    let offset: Int
    let shape: [Int]
    /// The strides, in elements; 0 for the dimensions of size 1 (whose stride is never used).
    let strides: [Int]
    /// The number of elements (the product of the shape).
    let count: Int

    /// The view of `storage` at `offset` with `shape` and `strides`; throws unless every element is inside the storage.
    init(storage: TorchStorage, offset: Int, shape: [Int], strides: [Int], path: String) throws {
        func fail(_ reason: String) -> PyTorchFileError {
            .malformedPickle(path: path, reason: "has a tensor of storage \(storage.key) \(reason)")
        }
        guard shape.count == strides.count else {
            throw fail("with \(shape.count) sizes but \(strides.count) strides")
        }
        guard shape.count <= 8 else {
            throw PyTorchFileError.unsupportedTensor(
                path: path, reason: "a tensor of storage \(storage.key) has \(shape.count) dimensions, more than 8")
        }
        guard offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw fail("with a negative offset, size or stride (offset \(offset), size \(shape), stride \(strides))")
        }
        guard let count = Limits.product(shape), count <= Limits.elements else {
            throw fail("of size \(shape), more than the \(Limits.elements) values supported")
        }
        // The last element addressed, in overflow-checked arithmetic; an empty tensor addresses none.
        var last = offset
        for (size, stride) in zip(shape, strides) where count > 0 {
            let (step, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, overflowSum) = last.addingReportingOverflow(step)
            guard !overflow, !overflowSum else { throw fail("whose size \(shape) and stride \(strides) overflow") }
            last = sum
        }
        guard count == 0 ? offset <= storage.count : last < storage.count else {
            throw fail(
                "at offset \(offset) with size \(shape) and stride \(strides), which reaches element \(last) of a "
                    + "storage of \(storage.count)")
        }
        self.storage = storage
        self.offset = offset
        self.shape = shape
        self.strides = zip(shape, strides).map { $0 == 1 ? 0 : $1 }
        self.count = count
    }

    /// The elements' positions in the storage, in row-major order of `shape`.
    var storageIndices: StridedIndices { StridedIndices(offset: offset, shape: shape, strides: strides, count: count) }

    /// The tensor's values read from the file's `bytes`: floating types as float32 (float64
    /// rounded to nearest, float16 and bfloat16 exactly), integer and bool types as int64.
    func entry(in bytes: [UInt8]) -> SafeTensors.Entry {
        let base = storage.bytes.lowerBound
        let width = storage.type.width
        func element(_ index: Int) -> UInt64 {
            var value: UInt64 = 0
            let start = base + index * width
            for i in 0..<width { value |= UInt64(bytes[start + i]) << (8 * UInt64(i)) }
            return value
        }
        let indices = storageIndices
        switch storage.type {
        case .float:
            return .float32(shape: shape, values: indices.map { Float(bitPattern: UInt32(element($0))) })
        case .double:
            return .float32(shape: shape, values: indices.map { Float(Double(bitPattern: element($0))) })
        case .half:
            return .float32(shape: shape, values: indices.map { Self.float(half: UInt16(element($0))) })
        case .bfloat16:
            return .float32(shape: shape, values: indices.map { Float(bitPattern: UInt32(element($0)) << 16) })
        case .long:
            return .int64(shape: shape, values: indices.map { Int64(bitPattern: element($0)) })
        case .int:
            return .int64(shape: shape, values: indices.map { Int64(Int32(bitPattern: UInt32(element($0)))) })
        case .short:
            return .int64(shape: shape, values: indices.map { Int64(Int16(bitPattern: UInt16(element($0)))) })
        case .char:
            return .int64(shape: shape, values: indices.map { Int64(Int8(bitPattern: UInt8(element($0)))) })
        case .byte:
            return .int64(shape: shape, values: indices.map { Int64(element($0)) })
        case .bool:
            return .int64(shape: shape, values: indices.map { element($0) == 0 ? 0 : 1 })
        }
    }

    /// The float of the IEEE 754 binary16 number `bits` (exact: every half is a float).
    /// Written out because `Float16` is unavailable on Intel Macs.
    static func float(half bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1f
        let mantissa = UInt32(bits & 0x3ff)
        switch exponent {
        case 0:  // zero or subnormal: mantissa * 2^-24
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1f:  // infinity or NaN
            return Float(bitPattern: sign | 0x7f80_0000 | mantissa << 13)
        default:  // rebias the exponent from 15 to 127
            return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
        }
    }
}

/// The storage positions of a strided view's elements, in row-major order: an odometer over the shape.
struct StridedIndices: Sequence, IteratorProtocol {
    private let shape: [Int]
    private let strides: [Int]
    private var index: [Int]
    private var current: Int
    private var remaining: Int

    init(offset: Int, shape: [Int], strides: [Int], count: Int) {
        self.shape = shape
        self.strides = strides
        index = [Int](repeating: 0, count: shape.count)
        current = offset
        remaining = count
    }

    var underestimatedCount: Int { remaining }

    mutating func next() -> Int? {
        guard remaining > 0 else { return nil }
        remaining -= 1
        let result = current
        var dimension = shape.count - 1
        while dimension >= 0 {
            index[dimension] += 1
            current += strides[dimension]
            if index[dimension] < shape[dimension] { break }
            current -= strides[dimension] * shape[dimension]
            index[dimension] = 0
            dimension -= 1
        }
        return result
    }
}
