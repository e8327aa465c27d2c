import TransferscopeCore

/// A 2-D convolution layer on NHWC activations (PyTorch's `Conv2d`, square kernels).
public final class Conv2d: StateContainer {
    /// C_in: channels of the input.
    public let inputChannels: Int
    /// C_out: channels of the output (the number of filters).
    public let outputChannels: Int
    /// k: the kernel is k x k.
    public let kernelSize: Int
    /// s: the kernel's step in pixels, along both axes.
    public let stride: Int
    /// p: zero pixels added on each side of the input.
    public let padding: Int
    /// [kH, kW, C_in, C_out] (PyTorch: [C_out, C_in, kH, kW]).
    public let weight: Parameter
    /// [C_out], or nil for a convolution without bias.
    public let bias: Parameter?

    private var savedInput = Tensor()
    /// Scratch for im2col and padded images, one buffer per worker; shared by all the layers of
    /// a model (they run one at a time) through `share(_:)`.
    private var scratch = ConvolutionScratch()

    /// A convolution initialized as PyTorch's default (Kaiming uniform with a = sqrt(5),
    /// i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias).
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = false, generator: inout RandomGenerator
    ) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let bound = 1 / Float(inputChannels * kernelSize * kernelSize).squareRoot()
        weight = Parameter(
            Tensor.randomUniform(
                shape: [kernelSize, kernelSize, inputChannels, outputChannels],
                lowerBound: -bound, upperBound: bound, using: &generator),
            layout: .convolutionHWIO)
        self.bias =
            bias
            ? Parameter(
                Tensor.randomUniform(
                    shape: [outputChannels], lowerBound: -bound, upperBound: bound,
                    using: &generator))
            : nil
    }

    /// `weight` (HWIO here, [C_out, C_in, kH, kW] at the PyTorch boundary) and `bias` if there is one.
    public var namedState: NamedState {
        var state = NamedState()
        state.parameters.append(("weight", weight))
        if let bias { state.parameters.append(("bias", bias)) }
        return state
    }

    func geometry(for input: Tensor) -> ConvolutionGeometry {
        precondition(
            input.shape.count == 4 && input.shape[3] == inputChannels,
            "Conv2d: expected input [N, H, W, \(inputChannels)], got \(input.shape)")
        return ConvolutionGeometry(
            batch: input.shape[0], inputHeight: input.shape[1], inputWidth: input.shape[2],
            inputChannels: inputChannels, outputChannels: outputChannels,
            kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride, padding: padding)
    }

    /// Uses `scratch` (normally the model's, shared by all its layers) instead of its own.
    public func share(_ scratch: ConvolutionScratch) { self.scratch = scratch }

    /// input: [N, H, W, C_in] -> [N, OH, OW, C_out]. Keeps the input for `backward` unless
    /// `keepingForBackward` is false (inference).
    public func forward(_ input: Tensor, keepingForBackward: Bool = true) -> Tensor {
        let g = geometry(for: input)
        savedInput = keepingForBackward ? input : Tensor()
        var output = Tensor(uninitializedShape: [g.batch, g.outputHeight, g.outputWidth, outputChannels])
        Convolution.forward(
            output: output.unsafeMutablePointer, input: input.unsafePointer, weight: weight.value.unsafePointer,
            bias: bias?.value.unsafePointer, geometry: g, workspace: scratch.columns)
        return output
    }

    /// Accumulates the weight (and bias) gradients and returns d(loss)/d(input), or nil
    /// when `inputGradient` is false (the first layer of a model).
    @discardableResult
    public func backward(_ outputGradient: Tensor, inputGradient: Bool = true) -> Tensor? {
        if inputGradient { return backwardToInput(outputGradient) }
        accumulateGradients(outputGradient, inputGradient: nil)
        return nil
    }

    /// `backward(_:)` for a layer inside a model, which always passes the gradient on:
    /// accumulates the weight (and bias) gradients and returns d(loss)/d(input), [N, H, W, C_in],
    /// plus `adding` (same shape; a residual block's shortcut gradient) if given, in the same pass.
    func backwardToInput(_ outputGradient: Tensor, adding: Tensor? = nil) -> Tensor {
        var dx = Tensor(uninitializedShape: savedInput.shape)
        if let adding {
            precondition(
                adding.shape == savedInput.shape,
                "Conv2d.backward: gradient to add \(adding.shape) does not match the input \(savedInput.shape)")
        }
        accumulateGradients(outputGradient, inputGradient: dx.unsafeMutablePointer, adding: adding)
        return dx
    }

    /// Adds the weight (and bias) gradients for `outputGradient` [N, OH, OW, C_out], writes
    /// d(loss)/d(input) (+ `adding`) to `inputGradient` when given, and releases the saved input.
    private func accumulateGradients(
        _ outputGradient: Tensor, inputGradient: UnsafeMutablePointer<Float>?, adding: Tensor? = nil
    ) {
        let g = geometry(for: savedInput)
        precondition(
            outputGradient.shape == [g.batch, g.outputHeight, g.outputWidth, outputChannels],
            "Conv2d.backward: gradient \(outputGradient.shape) does not match the output")
        Convolution.backward(
            inputGradient: inputGradient, weightGradient: weight.gradient.unsafeMutablePointer,
            biasGradient: bias?.gradient.unsafeMutablePointer, outputGradient: outputGradient.unsafePointer,
            input: savedInput.unsafePointer, weight: weight.value.unsafePointer, geometry: g,
            workspace: scratch.columns, gradientWorkspace: scratch.gradients,
            inputGradientResidual: adding?.unsafePointer)
        savedInput = Tensor()
    }
}
