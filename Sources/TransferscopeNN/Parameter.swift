import TransferscopeCore

/// How a parameter is stored inside the engine, which decides how it maps to PyTorch's layout.
public enum ParameterLayout: Sendable, Equatable {
    /// The same shape and order as PyTorch.
    case standard
    /// A convolution weight stored [kH, kW, C_in, C_out] (HWIO); PyTorch's is [C_out, C_in, kH, kW].
    case convolutionHWIO
}

/// A trainable tensor and the gradient accumulated for it.
public final class Parameter {
    /// The current value.
    public var value: Tensor
    /// d(loss)/d(value), accumulated (+=) by backward passes until `zeroGradient()`.
    public var gradient: Tensor
    /// The internal layout, for conversion at the PyTorch boundary.
    public let layout: ParameterLayout

    /// A parameter holding `value`, with a zero gradient of its shape; `layout` says how it maps to PyTorch.
    public init(_ value: Tensor, layout: ParameterLayout = .standard) {
        self.value = value
        self.gradient = Tensor(shape: value.shape)
        self.layout = layout
    }

    /// Sets the gradient to zero.
    public func zeroGradient() { gradient.fill(0) }
}

/// A non-trainable tensor that is part of a model's state (BatchNorm's running statistics).
public final class Buffer {
    /// The current value.
    public var value: Tensor

    /// A buffer holding `value`.
    public init(_ value: Tensor) { self.value = value }
}

/// A non-trainable integer that is part of a model's state (BatchNorm's `num_batches_tracked`).
public final class Counter {
    /// The current value.
    public var value: Int64

    /// A counter starting at `value` (default 0).
    public init(_ value: Int64 = 0) { self.value = value }
}
