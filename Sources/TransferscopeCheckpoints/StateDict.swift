import Foundation
import TransferscopeCore
import TransferscopeIO
import TransferscopeNN

/// A mismatch between a checkpoint and the model it is loaded into; each case names the key.
public enum StateDictError: Error, LocalizedError, Equatable {
    case missingKeys(path: String, keys: [String])
    case unexpectedKeys(path: String, keys: [String])
    case shapeMismatch(path: String, key: String, expected: [Int], found: [Int])
    case wrongType(path: String, key: String, expected: String)
    case nonFinite(path: String, key: String, count: Int)
    case negativeVariance(path: String, key: String)

    /// The message for the user: the checkpoint, the key, and how it differs from the model.
    public var errorDescription: String? {
        switch self {
        case .missingKeys(let path, let keys):
            return
                "\(path) lacks \(keys.count) key(s) the model needs: "
                + "\(keys.prefix(8).joined(separator: ", "))\(keys.count > 8 ? ", ..." : ""). Is it a checkpoint "
                + "of the same architecture?"
        case .unexpectedKeys(let path, let keys):
            return
                "\(path) has \(keys.count) key(s) the model does not have: "
                + "\(keys.prefix(8).joined(separator: ", "))\(keys.count > 8 ? ", ..." : ""). Is it a checkpoint "
                + "of the same architecture?"
        case .shapeMismatch(let path, let key, let expected, let found):
            return
                "\(path): \(key) has shape \(found) but the model expects \(expected). Check the architecture, "
                + "widths, input channels and classes."
        case .wrongType(let path, let key, let expected):
            return "\(path): \(key) should be \(expected)."
        case .nonFinite(let path, let key, let count):
            return
                "\(path): \(key) holds \(count) NaN or infinite value(s); the model it came from diverged or the "
                + "file is damaged. Use a checkpoint from before the divergence "
                + "(checkpoints/epoch-NNNN.safetensors) or train again with a lower --lr."
        case .negativeVariance(let path, let key):
            return
                "\(path): \(key) holds a negative variance; the file is damaged. Re-create it or point to "
                + "another checkpoint."
        }
    }
}

/// Conversion between a model's state and PyTorch state dicts (torchvision names and layouts).
public enum StateDict {
    /// The PyTorch-layout tensor of a parameter: HWIO convolution weights become OIHW.
    public static func pytorchLayout(_ value: Tensor, layout: ParameterLayout) -> Tensor {
        switch layout {
        case .standard: return value
        case .convolutionHWIO: return value.permuted([3, 2, 0, 1])
        }
    }

    /// The internal-layout tensor of a parameter from its PyTorch layout.
    public static func internalLayout(_ value: Tensor, layout: ParameterLayout) -> Tensor {
        switch layout {
        case .standard: return value
        case .convolutionHWIO: return value.permuted([2, 3, 1, 0])
        }
    }

    /// The shape PyTorch gives a parameter whose internal shape is `shape`.
    static func pytorchShape(_ shape: [Int], layout: ParameterLayout) -> [Int] {
        layout == .convolutionHWIO ? [shape[3], shape[2], shape[0], shape[1]] : shape
    }

    /// Every parameter, buffer and counter of `state` as safetensors entries in PyTorch layout.
    public static func entries(of state: NamedState) -> [String: SafeTensors.Entry] {
        var result: [String: SafeTensors.Entry] = [:]
        for (name, parameter) in state.parameters {
            let t = pytorchLayout(parameter.value, layout: parameter.layout)
            result[name] = .float32(shape: t.shape, values: t.scalars)
        }
        for (name, buffer) in state.buffers {
            result[name] = .float32(shape: buffer.value.shape, values: buffer.value.scalars)
        }
        for (name, counter) in state.counters { result[name] = .int64(shape: [], values: [counter.value]) }
        return result
    }

    /// Loads `file`'s tensors into `state`. Strict (the default): every key of the model must be
    /// present and every key of the file known. Shapes must match in either mode. Nothing is
    /// changed unless the whole load succeeds. `skipping` names keys to leave as they are
    /// (e.g. the head when fine-tuning); they are neither required nor loaded.
    public static func load(
        _ file: SafeTensors, into state: NamedState, path: String, strict: Bool = true, skipping: Set<String> = []
    ) throws {
        let wanted = Set(state.names).subtracting(skipping)
        if strict {
            let missing = wanted.subtracting(file.entries.keys).sorted()
            if !missing.isEmpty { throw StateDictError.missingKeys(path: path, keys: missing) }
            let unexpected = Set(file.entries.keys).subtracting(state.names).sorted()
            if !unexpected.isEmpty { throw StateDictError.unexpectedKeys(path: path, keys: unexpected) }
        }
        var floatUpdates: [(Tensor, (Tensor) -> Void)] = []
        func floats(_ name: String, expected: [Int]) throws -> Tensor? {
            guard wanted.contains(name), let entry = file.entries[name] else { return nil }
            guard case .float32(let shape, let values) = entry else {
                throw StateDictError.wrongType(path: path, key: name, expected: "F32")
            }
            guard shape == expected else {
                throw StateDictError.shapeMismatch(path: path, key: name, expected: expected, found: shape)
            }
            let nonFinite = values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            if nonFinite > 0 { throw StateDictError.nonFinite(path: path, key: name, count: nonFinite) }
            if name.hasSuffix("running_var"), values.contains(where: { $0 < 0 }) {
                throw StateDictError.negativeVariance(path: path, key: name)
            }
            return Tensor(shape: shape, scalars: values)
        }
        for (name, parameter) in state.parameters {
            let expected = pytorchShape(parameter.value.shape, layout: parameter.layout)
            if let t = try floats(name, expected: expected) {
                let layout = parameter.layout
                floatUpdates.append((t, { parameter.value = internalLayout($0, layout: layout) }))
            }
        }
        for (name, buffer) in state.buffers {
            if let t = try floats(name, expected: buffer.value.shape) {
                floatUpdates.append((t, { buffer.value = $0 }))
            }
        }
        var counterUpdates: [(Counter, Int64)] = []
        for (name, counter) in state.counters where wanted.contains(name) {
            guard let entry = file.entries[name] else { continue }
            guard case .int64(let shape, let values) = entry, values.count == 1, shape.isEmpty || shape == [1] else {
                throw StateDictError.wrongType(path: path, key: name, expected: "an I64 scalar")
            }
            counterUpdates.append((counter, values[0]))
        }
        for (tensor, apply) in floatUpdates { apply(tensor) }
        for (counter, value) in counterUpdates { counter.value = value }
    }
}
