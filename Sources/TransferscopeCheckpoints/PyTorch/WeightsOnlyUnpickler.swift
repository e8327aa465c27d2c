import Foundation

/// A pickle machine (PEP 307 protocol 2, with the few protocol 3-5 opcodes a newer pickler may
/// use) that admits only what a state dict is made of, as `torch.load(weights_only=True)` does:
/// plain values, tuples, lists, dicts, `collections.OrderedDict`, tensors rebuilt by
/// `torch._utils._rebuild_tensor_v2` (and parameters), and storages named by persistent ids
/// `('storage', torch.FloatStorage, key, location, count)`. Any other global is refused when it
/// is named, before anything could use it; nothing is ever called or imported: REDUCE only
/// builds the admitted objects, BUILD only accepts an OrderedDict's `_metadata`.
///
/// The stack, the marks, the memo and the containers made are bounded, opcodes the machine does
/// not know are errors, and it never recurses. Time and memory are linear in the pickle's length.
struct WeightsOnlyUnpickler {
    static let maximumStack = 1 << 20
    static let maximumMarks = 1_000
    static let maximumMemo = 1 << 22
    static let maximumContainers = 1 << 22

    private let bytes: [UInt8]
    private let start: Int
    private let end: Int
    private let path: String
    private let storageBytes: (String) -> Range<Int>?
    private var position: Int
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var containers: [any PickleContainer] = []

    private init(bytes: [UInt8], pickle: Range<Int>, path: String, storage: @escaping (String) -> Range<Int>?) {
        self.bytes = bytes
        (start, end, position) = (pickle.lowerBound, pickle.upperBound, pickle.lowerBound)
        self.path = path
        storageBytes = storage
    }

    /// Runs the pickle at `pickle` in `bytes` and passes what it builds to `extract`; `storage`
    /// gives the bytes of the storage with a key, or nil where the archive has none. The
    /// containers are emptied once `extract` returns, so what it returns must not hold them.
    static func load<Result>(
        bytes: [UInt8], pickle: Range<Int>, path: String, storage: @escaping (String) -> Range<Int>?,
        extract: (PickleValue) throws -> Result
    ) throws -> Result {
        var machine = WeightsOnlyUnpickler(bytes: bytes, pickle: pickle, path: path, storage: storage)
        defer {
            for container in machine.containers { container.removeAll() }
        }
        return try extract(try machine.run())
    }

    private func fail(_ reason: String) -> PyTorchFileError { .malformedPickle(path: path, reason: reason) }

    // MARK: - The machine

    private mutating func run() throws -> PickleValue {
        while position < end {
            let opcodeOffset = position - start
            let opcode = bytes[position]
            position += 1
            switch opcode {
            case 0x80:  // PROTO
                let version = try unsigned(1)
                guard (2...5).contains(version) else { throw fail("is a pickle of protocol \(version), not 2 to 5") }
            case 0x95: _ = try unsigned(8)  // FRAME: a buffering hint; the opcodes follow as usual
            case 0x2e: return try pop()  // STOP
            case 0x63:  // GLOBAL: "module\nname\n"
                let module = try line()
                try push(.global(admit(module: module, name: try line())))
            case 0x93:  // STACK_GLOBAL
                let name = try popString("STACK_GLOBAL")
                try push(.global(admit(module: try popString("STACK_GLOBAL"), name: name)))
            case 0x7d: try push(.dict(made(PickleDict(ordered: false))))  // EMPTY_DICT
            case 0x5d: try push(.list(made(PickleList())))  // EMPTY_LIST
            case 0x29: try push(.tuple(made(PickleTuple([]))))  // EMPTY_TUPLE
            case 0x28:  // MARK
                guard marks.count < Self.maximumMarks else { throw fail("nests more than \(Self.maximumMarks) MARKs") }
                marks.append(stack.count)
            case 0x74: try push(.tuple(made(PickleTuple(try popMark()))))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                var items: [PickleValue] = []
                for _ in 0..<(opcode - 0x84) { items.insert(try pop(), at: 0) }
                try push(.tuple(made(PickleTuple(items))))
            case 0x71: try memoize(at: try unsigned(1))  // BINPUT
            case 0x72: try memoize(at: try unsigned(4))  // LONG_BINPUT
            case 0x94: try memoize(at: memo.count)  // MEMOIZE
            case 0x68: try push(try recall(try unsigned(1)))  // BINGET
            case 0x6a: try push(try recall(try unsigned(4)))  // LONG_BINGET
            case 0x4b: try push(.int(try unsigned(1)))  // BININT1
            case 0x4d: try push(.int(try unsigned(2)))  // BININT2
            case 0x4a: try push(.int(Int(Int32(truncatingIfNeeded: try unsigned(4)))))  // BININT
            case 0x8a: try push(.int(try long1()))  // LONG1
            case 0x47: try push(.float(Double(bitPattern: try bigEndian(8))))  // BINFLOAT
            case 0x8c: try push(.string(try text(length: try unsigned(1))))  // SHORT_BINUNICODE
            case 0x58: try push(.string(try text(length: try unsigned(4))))  // BINUNICODE
            case 0x8d: try push(.string(try text(length: try unsigned(8))))  // BINUNICODE8
            case 0x43: try push(.bytes(Array(try take(try unsigned(1)))))  // SHORT_BINBYTES
            case 0x42: try push(.bytes(Array(try take(try unsigned(4)))))  // BINBYTES
            case 0x8e: try push(.bytes(Array(try take(try unsigned(8)))))  // BINBYTES8
            case 0x4e: try push(.none)  // NONE
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x51: try push(.storage(try storage(persistentID: try pop())))  // BINPERSID
            case 0x52:  // REDUCE
                let arguments = try pop()
                try push(try reduce(try pop(), arguments))
            case 0x62: try build(state: try pop())  // BUILD
            case 0x73:  // SETITEM
                let value = try pop()
                let key = try pop()
                try dictionary("SETITEM").set(key, value)
            case 0x75:  // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0 else { throw fail("has a SETITEMS with an odd number of items") }
                let dictionary = try dictionary("SETITEMS")
                for i in stride(from: 0, to: items.count, by: 2) { dictionary.set(items[i], items[i + 1]) }
            case 0x61:  // APPEND
                let value = try pop()
                try list("APPEND").items.append(value)
            case 0x65:  // APPENDS
                let items = try popMark()
                try list("APPENDS").items.append(contentsOf: items)
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: try push(try top("DUP"))  // DUP
            default:
                throw fail(
                    String(
                        format: "has opcode 0x%02x at byte %d, which the pickle of a state dict does not use "
                            + "(a weights-only load refuses it)", opcode, opcodeOffset))
            }
        }
        throw fail("ends before its STOP opcode (truncated)")
    }

    // MARK: - Reading the opcodes' arguments

    /// The next `count` bytes.
    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count <= end - position else {
            throw fail("ends inside an opcode's argument at byte \(position - start) (truncated)")
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// The next `width` bytes as a little-endian unsigned number that must fit an Int.
    private mutating func unsigned(_ width: Int) throws -> Int {
        var value: UInt64 = 0
        for (i, byte) in try take(width).enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        guard let result = Int(exactly: value) else { throw fail("has a length of \(value) bytes") }
        return result
    }

    /// The next `width` bytes as a big-endian number (BINFLOAT's double).
    private mutating func bigEndian(_ width: Int) throws -> UInt64 {
        try take(width).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// LONG1: a length byte, then that many bytes of a little-endian two's complement integer.
    private mutating func long1() throws -> Int {
        let length = try unsigned(1)
        guard length <= 8 else { throw fail("has an integer of \(length) bytes, wider than 64 bits") }
        let digits = try take(length)
        var value: UInt64 = 0
        for (i, byte) in digits.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        if length > 0, length < 8, digits.last.map({ $0 & 0x80 != 0 }) == true {
            value |= ~0 << (8 * UInt64(length))  // sign-extend
        }
        return Int(Int64(bitPattern: value))
    }

    /// UTF-8 text of `length` bytes.
    private mutating func text(length: Int) throws -> String {
        guard let text = String(bytes: try take(length), encoding: .utf8) else {
            throw fail("has a string that is not UTF-8 at byte \(position - start)")
        }
        return text
    }

    /// GLOBAL's module or name: the text up to the next newline (at most 256 bytes).
    private mutating func line() throws -> String {
        let limit = min(end, position + 256)
        guard let newline = bytes[position..<limit].firstIndex(of: 0x0a) else {
            throw fail("has a GLOBAL whose name does not end within 256 bytes")
        }
        defer { position = newline + 1 }
        return String(decoding: bytes[position..<newline], as: UTF8.self)
    }

    // MARK: - The stack, the marks and the memo

    private mutating func push(_ value: PickleValue) throws {
        guard stack.count < Self.maximumStack else { throw fail("stacks more than \(Self.maximumStack) values") }
        stack.append(value)
    }

    /// Pops the top value, which must lie above the last MARK.
    private mutating func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0) else { throw fail("pops a value it never pushed (damaged)") }
        return stack.removeLast()
    }

    private mutating func popString(_ opcode: String) throws -> String {
        guard case .string(let text) = try pop() else { throw fail("has a \(opcode) whose names are not strings") }
        return text
    }

    /// The values pushed since the last MARK, which is removed.
    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("has an opcode that needs a MARK without one (damaged)") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private func top(_ opcode: String) throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.last else {
            throw fail("has a \(opcode) with nothing to apply it to (damaged)")
        }
        return value
    }

    private func dictionary(_ opcode: String) throws -> PickleDict {
        let value = try top(opcode)
        guard case .dict(let dictionary) = value else { throw fail("has a \(opcode) on \(value.kind), not a dict") }
        return dictionary
    }

    private func list(_ opcode: String) throws -> PickleList {
        let value = try top(opcode)
        guard case .list(let list) = value else { throw fail("has an \(opcode) on \(value.kind), not a list") }
        return list
    }

    private mutating func memoize(at index: Int) throws {
        guard memo.count < Self.maximumMemo || memo[index] != nil else {
            throw fail("memoizes more than \(Self.maximumMemo) values")
        }
        memo[index] = try top("PUT")
    }

    private func recall(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw fail("gets memo entry \(index), which it never put (damaged)") }
        return value
    }

    /// Registers a container so that it is emptied when the machine is done.
    private mutating func made<Container: PickleContainer>(_ container: Container) throws -> Container {
        guard containers.count < Self.maximumContainers else {
            throw fail("makes more than \(Self.maximumContainers) tuples, lists and dicts")
        }
        containers.append(container)
        return container
    }

    // MARK: - What the admitted globals build

    private func admit(module: String, name: String) throws -> AdmittedGlobal {
        guard let global = AdmittedGlobal(module: module, name: name) else {
            throw PyTorchFileError.refusedGlobal(path: path, module: module, name: name)
        }
        return global
    }

    /// BINPERSID's storage: `('storage', storage type, key, location, element count)`, its bytes `data/KEY`.
    private func storage(persistentID: PickleValue) throws -> TorchStorage {
        guard case .tuple(let tuple) = persistentID, tuple.items.count == 5, case .string("storage") = tuple.items[0],
            case .global(.storageType(let type)) = tuple.items[1], case .string(let key) = tuple.items[2],
            case .string = tuple.items[3], case .int(let count) = tuple.items[4], count >= 0
        else {
            throw fail("has a persistent id that is not ('storage', torch.<Type>Storage, key, location, count)")
        }
        guard let range = storageBytes(key) else { throw fail("names storage \(key), which the archive lacks") }
        let (size, overflow) = count.multipliedReportingOverflow(by: type.width)
        guard !overflow, size == range.count else {
            throw fail(
                "says storage \(key) holds \(count) elements of torch.\(type.rawValue), but the archive has "
                    + "\(range.count) bytes for it")
        }
        return TorchStorage(type: type, key: key, bytes: range, count: count)
    }

    /// REDUCE: what an admitted callable builds from its arguments (it is not called).
    private mutating func reduce(_ callable: PickleValue, _ argumentTuple: PickleValue) throws -> PickleValue {
        guard case .global(let global) = callable else { throw fail("calls \(callable.kind), which is not callable") }
        guard case .tuple(let tuple) = argumentTuple else {
            throw fail("calls \(global.qualifiedName) with \(argumentTuple.kind) for its arguments")
        }
        let arguments = tuple.items
        func wrongArguments() -> PyTorchFileError {
            fail("calls \(global.qualifiedName) with \(arguments.count) arguments it does not take")
        }
        switch global {
        case .orderedDict:
            guard arguments.isEmpty else { throw wrongArguments() }
            return .dict(try made(PickleDict(ordered: true)))
        case .rebuildTensor:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard arguments.count == 6 || arguments.count == 7, case .storage(let storage) = arguments[0],
                case .int(let offset) = arguments[1], let shape = arguments[2].integers,
                let strides = arguments[3].integers
            else { throw wrongArguments() }
            return .tensor(
                try TorchTensor(storage: storage, offset: offset, shape: shape, strides: strides, path: path))
        case .rebuildParameter, .rebuildParameterWithState:
            // (data, requires_grad, backward_hooks[, state]): the parameter is its data.
            guard arguments.count == (global == .rebuildParameter ? 3 : 4), case .tensor = arguments[0] else {
                throw wrongArguments()
            }
            return arguments[0]
        case .storageType:
            throw fail("calls \(global.qualifiedName); a storage comes only from a persistent id")
        }
    }

    /// BUILD: an OrderedDict's state (its `_metadata`: module versions) is accepted and ignored.
    private mutating func build(state: PickleValue) throws {
        let target = try top("BUILD")
        guard case .dict(let dictionary) = target, dictionary.isOrdered else {
            throw fail("sets the state of \(target.kind); only an OrderedDict's is admitted")
        }
        switch state {
        case .dict, .none: return
        default: throw fail("sets an OrderedDict's state to \(state.kind)")
        }
    }
}
