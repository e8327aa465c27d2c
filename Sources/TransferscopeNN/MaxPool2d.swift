import TransferscopeCore

/// Max pooling over square windows of NHWC activations (PyTorch's `MaxPool2d`).
public final class MaxPool2d {
    /// k: the pooling window is k x k pixels.
    public let kernelSize: Int
    /// s: the window's step in pixels, along both axes.
    public let stride: Int
    /// p: padding on each side, counted as -infinity so it never wins the max (as PyTorch).
    public let padding: Int
    private var savedArgmax: [Int32] = []
    private var savedInputShape: [Int] = []

    /// A k x k max pool with stride s and padding p (torchvision's ImageNet stem: 3, 2, 1).
    public init(kernelSize: Int, stride: Int, padding: Int = 0) {
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
    }

    /// input: [N, H, W, C] -> [N, OH, OW, C] with OH = floor((H + 2p - k) / s) + 1.
    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 4, "MaxPool2d: expected [N, H, W, C], got \(input.shape)")
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let oh = (h + 2 * padding - kernelSize) / stride + 1
        let ow = (w + 2 * padding - kernelSize) / stride + 1
        precondition(oh > 0 && ow > 0, "MaxPool2d: window \(kernelSize) does not fit input \(input.shape)")
        var output = Tensor(uninitializedShape: [n, oh, ow, c])
        if savedArgmax.count != output.count { savedArgmax = [Int32](repeating: 0, count: output.count) }
        savedArgmax.withUnsafeMutableBufferPointer { argmax in
            guard let argmax = argmax.baseAddress else {
                preconditionFailure("MaxPool2d: no argmax storage for output \(output.shape)")
            }
            Pooling.maxForward(
                output: output.unsafeMutablePointer, argmax: argmax, input: input.unsafePointer,
                batch: n, height: h, width: w, channels: c, kernelSize: kernelSize, stride: stride, padding: padding)
        }
        savedInputShape = input.shape
        return output
    }

    /// Routes each output gradient to the input that was the maximum.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        var dx = Tensor(uninitializedShape: savedInputShape)
        let batch = savedInputShape[0]
        savedArgmax.withUnsafeBufferPointer { argmax in
            guard let argmax = argmax.baseAddress else {
                preconditionFailure("MaxPool2d.backward: no argmax saved for gradient \(outputGradient.shape)")
            }
            Pooling.maxBackward(
                inputGradient: dx.unsafeMutablePointer, outputGradient: outputGradient.unsafePointer,
                argmax: argmax, batch: batch, inputImageSize: dx.count / batch,
                outputImageSize: outputGradient.count / batch)
        }
        return dx
    }
}

/// The mean over all pixels of NHWC activations (PyTorch's `AdaptiveAvgPool2d(1)` + flatten).
public final class GlobalAveragePool {
    private var savedInputShape: [Int] = []

    /// A pool with no parameters and nothing saved yet.
    public init() {}

    /// input: [N, H, W, C] -> [N, C].
    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.shape.count == 4, "GlobalAveragePool: expected [N, H, W, C], got \(input.shape)")
        let (n, c) = (input.shape[0], input.shape[3])
        var output = Tensor(uninitializedShape: [n, c])
        Pooling.averageForward(
            output: output.unsafeMutablePointer, input: input.unsafePointer,
            batch: n, pixels: input.shape[1] * input.shape[2], channels: c)
        savedInputShape = input.shape
        return output
    }

    /// Spreads each gradient evenly over the pixels it averaged.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        var dx = Tensor(uninitializedShape: savedInputShape)
        Pooling.averageBackward(
            inputGradient: dx.unsafeMutablePointer, outputGradient: outputGradient.unsafePointer,
            batch: savedInputShape[0], pixels: savedInputShape[1] * savedInputShape[2], channels: savedInputShape[3])
        return dx
    }
}
