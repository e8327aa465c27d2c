import Foundation
import TransferscopeCore
import TransferscopeIO
import TransferscopeNN
import TransferscopeOptimizers

/// Saving and restoring an SGD optimizer's momentum buffers and step count, as a safetensors
/// file with keys `momentum_buffer.<parameter name>` (PyTorch layout) and metadata `step`.
public enum OptimizerState {
    /// Writes `optimizer`'s state atomically to `path`.
    public static func save(_ optimizer: SGD, to path: String) throws {
        var entries: [String: SafeTensors.Entry] = [:]
        for ((name, parameter), buffer) in zip(optimizer.parameters, optimizer.momentumBuffers) {
            guard let buffer else { continue }
            let t = StateDict.pytorchLayout(buffer, layout: parameter.layout)
            entries["momentum_buffer." + name] = .float32(shape: t.shape, values: t.scalars)
        }
        try SafeTensors(entries: entries, metadata: ["step": String(optimizer.step)]).write(to: path)
    }

    /// Restores `optimizer`'s state from `path`, written by `save` for the same parameters.
    public static func load(into optimizer: SGD, from path: String) throws {
        let file = try SafeTensors(contentsOf: path)
        guard let stepText = file.metadata["step"], let step = Int(stepText), step >= 0 else {
            throw SafeTensorsError.malformed(path: path, reason: "its metadata has no valid optimizer step")
        }
        var buffers: [Tensor?] = []
        for (name, parameter) in optimizer.parameters {
            guard let (shape, values) = file.floats("momentum_buffer." + name) else {
                if step > 0 && optimizer.hyperparameters.momentum != 0 {
                    throw StateDictError.missingKeys(path: path, keys: ["momentum_buffer." + name])
                }
                buffers.append(nil)
                continue
            }
            let expected = StateDict.pytorchShape(parameter.value.shape, layout: parameter.layout)
            guard shape == expected else {
                throw StateDictError.shapeMismatch(
                    path: path, key: "momentum_buffer." + name, expected: expected, found: shape)
            }
            buffers.append(StateDict.internalLayout(Tensor(shape: shape, scalars: values), layout: parameter.layout))
        }
        optimizer.restore(momentumBuffers: buffers, step: step)
    }
}
