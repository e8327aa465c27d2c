import Foundation

/// A value on the weights-only unpickler's stack: Python's plain values, the containers, and the
/// few torch objects a state dict is made of. Nothing here can run code.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    /// A global the unpickler admits (never any other: naming one is an error).
    case global(AdmittedGlobal)
    case storage(TorchStorage)
    case tensor(TorchTensor)

    /// What the value is, for messages ("an int", "a tuple", ...).
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int: return "an int"
        case .float: return "a float"
        case .string: return "a string"
        case .bytes: return "bytes"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        case .global(let global): return "the global \(global.qualifiedName)"
        case .storage: return "a storage"
        case .tensor: return "a tensor"
        }
    }

    /// The integers of a tuple of integers (a tensor's size or stride), else nil.
    var integers: [Int]? {
        guard case .tuple(let tuple) = self else { return nil }
        var result: [Int] = []
        for item in tuple.items {
            guard case .int(let value) = item else { return nil }
            result.append(value)
        }
        return result
    }
}

/// A container the unpickler made. Containers are classes because a pickle may fill one after
/// memoizing it and refer to it again (so they can also form cycles, or nest deeply); the
/// unpickler empties every one it made when it is done, which breaks cycles and keeps their
/// release from recursing as deep as they nest.
protocol PickleContainer: AnyObject {
    /// Drops the contents.
    func removeAll()
}

/// A Python tuple.
final class PickleTuple: PickleContainer {
    private(set) var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
    func removeAll() { items = [] }
}

/// A Python list.
final class PickleList: PickleContainer {
    var items: [PickleValue] = []
    func removeAll() { items = [] }
}

/// A Python dict or OrderedDict: its items in insertion order; a string or integer key set
/// again replaces its value, as in Python.
final class PickleDict: PickleContainer {
    /// A key that can be looked up.
    private enum Key: Hashable {
        case string(String)
        case int(Int)
    }

    /// Whether it was made as `collections.OrderedDict` (the only object that takes BUILD state).
    let isOrdered: Bool
    private(set) var items: [(key: PickleValue, value: PickleValue)] = []
    private var positions: [Key: Int] = [:]

    init(ordered: Bool) { isOrdered = ordered }

    private static func lookupKey(_ key: PickleValue) -> Key? {
        switch key {
        case .string(let text): return .string(text)
        case .int(let value): return .int(value)
        default: return nil
        }
    }

    /// Sets `key` to `value`.
    func set(_ key: PickleValue, _ value: PickleValue) {
        guard let lookup = Self.lookupKey(key) else {
            items.append((key, value))
            return
        }
        if let position = positions[lookup] {
            items[position].value = value
        } else {
            positions[lookup] = items.count
            items.append((key, value))
        }
    }

    /// The value under the string `key`, or nil.
    func value(forKey key: String) -> PickleValue? {
        positions[.string(key)].map { items[$0].value }
    }

    func removeAll() {
        items = []
        positions = [:]
    }
}

/// The globals a weights-only load of a state dict admits (as `torch.load(weights_only=True)`
/// does for one): the OrderedDict a state dict is, the functions that rebuild tensors and
/// parameters, and the storage types. They are only ever recognized, never looked up or called.
enum AdmittedGlobal: Equatable {
    case orderedDict
    case rebuildTensor
    case rebuildParameter
    case rebuildParameterWithState
    case storageType(TorchStorageType)

    /// The global called `name` in `module`, if admitted.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        default:
            guard module == "torch", let type = TorchStorageType(rawValue: name) else { return nil }
            self = .storageType(type)
        }
    }

    /// `module.name`, as Python spells it.
    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensor: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case .storageType(let type): return "torch.\(type.rawValue)"
        }
    }
}
