import TransferscopeCore

/// A fully connected layer y = x W^T + b (PyTorch's `Linear`, same layout).
public final class Linear: StateContainer {
    /// in: features of each input row.
    public let inputFeatures: Int
    /// out: features of each output row (the class logits, for a ResNet's head).
    public let outputFeatures: Int
    /// [out, in].
    public let weight: Parameter
    /// [out].
    public let bias: Parameter
    private var savedInput = Tensor()

    /// Initialized as PyTorch's default: weight and bias U(-1/sqrt(in), 1/sqrt(in)).
    public init(inputFeatures: Int, outputFeatures: Int, generator: inout RandomGenerator) {
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        let bound = 1 / Float(inputFeatures).squareRoot()
        weight = Parameter(
            Tensor.randomUniform(
                shape: [outputFeatures, inputFeatures], lowerBound: -bound, upperBound: bound, using: &generator))
        bias = Parameter(
            Tensor.randomUniform(
                shape: [outputFeatures], lowerBound: -bound, upperBound: bound, using: &generator))
    }

    /// `weight` [out, in] and `bias` [out], the same layout as PyTorch.
    public var namedState: NamedState {
        var state = NamedState()
        state.parameters = [("weight", weight), ("bias", bias)]
        return state
    }

    /// input: [N, in] -> [N, out].
    public func forward(_ input: Tensor) -> Tensor {
        precondition(
            input.shape.count == 2 && input.shape[1] == inputFeatures,
            "Linear: expected [N, \(inputFeatures)], got \(input.shape)")
        let n = input.shape[0]
        var output = Tensor(uninitializedShape: [n, outputFeatures])
        let y = output.unsafeMutablePointer
        let b = bias.value.unsafePointer
        for row in 0..<n { (y + row * outputFeatures).update(from: b, count: outputFeatures) }
        BLAS.sgemm(
            transposeA: false, transposeB: true, m: n, n: outputFeatures, k: inputFeatures,
            a: input.unsafePointer, lda: inputFeatures, b: weight.value.unsafePointer, ldb: inputFeatures,
            beta: 1, c: y, ldc: outputFeatures)
        savedInput = input
        return output
    }

    /// dW += dy^T x, db += sum_n dy, returns dx = dy W.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        let n = savedInput.shape[0]
        precondition(
            outputGradient.shape == [n, outputFeatures],
            "Linear.backward: expected gradient [\(n), \(outputFeatures)], got \(outputGradient.shape)")
        let dy = outputGradient.unsafePointer
        BLAS.sgemm(
            transposeA: true, transposeB: false, m: outputFeatures, n: inputFeatures, k: n,
            a: dy, lda: outputFeatures, b: savedInput.unsafePointer, ldb: inputFeatures,
            beta: 1, c: weight.gradient.unsafeMutablePointer, ldc: inputFeatures)
        let db = bias.gradient.unsafeMutablePointer
        for row in 0..<n { for j in 0..<outputFeatures { db[j] += dy[row * outputFeatures + j] } }
        var dx = Tensor(uninitializedShape: savedInput.shape)
        BLAS.sgemm(
            transposeA: false, transposeB: false, m: n, n: inputFeatures, k: outputFeatures,
            a: dy, lda: outputFeatures, b: weight.value.unsafePointer, ldb: inputFeatures,
            beta: 0, c: dx.unsafeMutablePointer, ldc: inputFeatures)
        savedInput = Tensor()
        return dx
    }
}
