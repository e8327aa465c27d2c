import Foundation
import Testing
import TransferscopeCore
import TransferscopeNN

/// Finite-difference checks of every layer's backward pass, input and parameter gradients.
@Suite("Layer gradients (finite differences)", .serialized)
struct LayerGradientTests {
    struct ConvCase: CustomTestStringConvertible, Sendable {
        var kernel: Int, stride: Int, padding: Int, bias: Bool, side: Int
        var inputChannels = 3, outputChannels = 4
        var testDescription: String {
            "\(inputChannels)->\(outputChannels) \(kernel)x\(kernel) s\(stride) "
                + "p\(padding)\(bias ? " bias" : "") on \(side)x\(side)"
        }
    }

    @Test(
        "Conv2d",
        arguments: [
            ConvCase(kernel: 3, stride: 1, padding: 1, bias: false, side: 6),
            ConvCase(kernel: 3, stride: 2, padding: 1, bias: true, side: 7),
            ConvCase(kernel: 1, stride: 1, padding: 0, bias: false, side: 5),
            ConvCase(kernel: 1, stride: 2, padding: 0, bias: false, side: 6),
            ConvCase(kernel: 7, stride: 2, padding: 3, bias: false, side: 9),
            ConvCase(kernel: 3, stride: 1, padding: 0, bias: true, side: 5),
            // The direct SIMD kernel (stride 1, 16 channels in and out) and its adjoint.
            ConvCase(kernel: 3, stride: 1, padding: 1, bias: true, side: 5, inputChannels: 16, outputChannels: 16),
            ConvCase(kernel: 3, stride: 1, padding: 1, bias: false, side: 9, inputChannels: 8, outputChannels: 32),
        ])
    func conv(_ c: ConvCase) {
        var generator = RandomGenerator(seed: 11)
        let conv = Conv2d(
            inputChannels: c.inputChannels, outputChannels: c.outputChannels, kernelSize: c.kernel,
            stride: c.stride, padding: c.padding, bias: c.bias, generator: &generator)
        let input = InputSlot(Tensor.randomNormal(shape: [3, c.side, c.side, c.inputChannels], using: &generator))
        var targets = [input.target, GradientCheck.parameter("weight", conv.weight)]
        if let bias = conv.bias { targets.append(GradientCheck.parameter("bias", bias)) }
        GradientCheck().check(
            "Conv2d \(c.testDescription)", forward: { conv.forward(input.value) },
            backward: { input.gradient = conv.backward($0)! }, targets: targets, generator: &generator)
    }

    /// The direct kernel (AVX2 blocks, and AVX-512 blocks where the processor has them) against
    /// im2col + sgemm, forward and both gradients, on shapes that use every block and the tails.
    /// Both are within 1e-5 of a Double reference (checked by hand), relative to the largest value.
    /// With AVX-512 the forward pass also takes up to 128 input channels, and (when asked) stride 2,
    /// where the 8 x 32 and 16 x 16 blocks tile the rows (the last six cases).
    @Test(
        "Direct and im2col convolutions agree",
        arguments: [
            (16, 16, 7, 1), (8, 32, 6, 1), (16, 48, 5, 1), (16, 16, 13, 1), (32, 32, 9, 1), (16, 32, 3, 1),
            (64, 64, 8, 1), (128, 128, 8, 1), (16, 16, 32, 1), (16, 32, 16, 2), (32, 64, 16, 2), (8, 16, 32, 2),
        ])
    func directMatchesIm2col(inputChannels: Int, outputChannels: Int, side: Int, stride: Int) {
        var generator = RandomGenerator(seed: 17)
        let conv = Conv2d(
            inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: 3, stride: stride, padding: 1,
            bias: true, generator: &generator)
        let x = Tensor.randomNormal(shape: [3, side, side, inputChannels], using: &generator)
        let out = (side - 1) / stride + 1
        let dy = Tensor.randomNormal(shape: [3, out, out, outputChannels], using: &generator)
        func run() -> (Tensor, Tensor, Tensor) {
            conv.weight.zeroGradient()
            let y = conv.forward(x)
            let dx = conv.backward(dy)!
            return (y, dx, conv.weight.gradient)
        }
        // Each kernel chosen for this test's own work only (other tests run concurrently).
        let directAVX2 = ConvolutionKernels.$current.withValue(ConvolutionKernels(avx512: false), operation: run)
        let reference = ConvolutionKernels.$current.withValue(ConvolutionKernels(direct: false), operation: run)
        var candidates = [("direct AVX2", directAVX2)]
        if CPUFeatures.hasAVX512 {
            candidates.append(
                (
                    "direct AVX-512",
                    ConvolutionKernels.$current.withValue(
                        ConvolutionKernels(avx512: true, directStrideTwo: true), operation: run)
                ))
        } else {
            FileHandle.standardError.write(
                Data("note: no AVX-512 on this processor; only the AVX2 direct kernel is checked here\n".utf8))
        }
        for (kernel, candidate) in candidates {
            for (a, b, what) in [
                (candidate.0, reference.0, "output"), (candidate.1, reference.1, "input gradient"),
                (candidate.2, reference.2, "weight gradient"),
            ] {
                // Relative to the tensor's largest magnitude, which grows with the number of terms
                // summed, so the bound holds for any order of the sums (both kernels sum differently).
                var (worst, scale): (Float, Float) = (0, 0)
                for i in 0..<a.count {
                    let error = abs(a[flat: i] - b[flat: i])
                    worst = error.isNaN ? .infinity : max(worst, error)  // max() would pass over a NaN
                    scale = max(scale, abs(b[flat: i]))
                }
                #expect(worst <= 1e-5 * scale, "\(kernel) \(what): \(worst) of \(scale)")
            }
        }
    }

    @Test("BatchNorm2d", arguments: [(true, false), (true, true), (false, false), (false, true)])
    func batchNorm(training: Bool, relu: Bool) {
        var generator = RandomGenerator(seed: 12)
        let bn = BatchNorm2d(channels: 5)
        bn.weight.value = Tensor.randomUniform(shape: [5], lowerBound: 0.5, upperBound: 1.5, using: &generator)
        bn.bias.value = Tensor.randomUniform(shape: [5], lowerBound: -0.5, upperBound: 0.5, using: &generator)
        bn.runningMean.value = Tensor.randomNormal(shape: [5], standardDeviation: 0.3, using: &generator)
        bn.runningVariance.value = Tensor.randomUniform(shape: [5], lowerBound: 0.5, upperBound: 2, using: &generator)
        let input = InputSlot(
            Tensor.randomNormal(shape: [4, 3, 3, 5], mean: 0.3, standardDeviation: 1.5, using: &generator))
        GradientCheck().check(
            "BatchNorm2d training=\(training) relu=\(relu)",
            forward: { bn.forward(input.value, training: training, relu: relu) },
            backward: { input.gradient = bn.backward($0) },
            targets: [
                input.target, GradientCheck.parameter("weight", bn.weight), GradientCheck.parameter("bias", bn.bias),
            ],
            generator: &generator)
    }

    @Test("MaxPool2d 3x3 stride 2 padding 1")
    func maxPool() {
        var generator = RandomGenerator(seed: 13)
        let pool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        let input = InputSlot(Tensor.randomNormal(shape: [2, 7, 6, 3], using: &generator))
        GradientCheck().check(
            "MaxPool2d", forward: { pool.forward(input.value) }, backward: { input.gradient = pool.backward($0) },
            targets: [input.target], generator: &generator)
    }

    @Test("Global average pool")
    func averagePool() {
        var generator = RandomGenerator(seed: 14)
        let pool = GlobalAveragePool()
        let input = InputSlot(Tensor.randomNormal(shape: [2, 3, 4, 5], using: &generator))
        GradientCheck().check(
            "GlobalAveragePool", forward: { pool.forward(input.value) },
            backward: { input.gradient = pool.backward($0) },
            targets: [input.target], generator: &generator)
    }

    @Test("Linear")
    func linear() {
        var generator = RandomGenerator(seed: 15)
        let linear = Linear(inputFeatures: 6, outputFeatures: 4, generator: &generator)
        let input = InputSlot(Tensor.randomNormal(shape: [3, 6], using: &generator))
        GradientCheck().check(
            "Linear", forward: { linear.forward(input.value) }, backward: { input.gradient = linear.backward($0) },
            targets: [
                input.target, GradientCheck.parameter("weight", linear.weight),
                GradientCheck.parameter("bias", linear.bias),
            ],
            generator: &generator)
    }

    @Test("Softmax cross-entropy")
    func crossEntropy() {
        var generator = RandomGenerator(seed: 16)
        var logits = Tensor.randomNormal(shape: [4, 5], standardDeviation: 2, using: &generator)
        let labels = [0, 3, 4, 1]
        var gradient = Tensor(shape: [4, 5])
        _ = CrossEntropy.forwardBackward(
            logits: logits.unsafePointer, labels: labels, classes: 5,
            logitsGradient: gradient.unsafeMutablePointer)
        let h: Float = 1e-3
        for index in 0..<logits.count {
            let original = logits[flat: index]
            logits[flat: index] = original + h
            let plus = CrossEntropy.forwardBackward(
                logits: logits.unsafePointer, labels: labels, classes: 5, logitsGradient: nil)
            logits[flat: index] = original - h
            let minus = CrossEntropy.forwardBackward(
                logits: logits.unsafePointer, labels: labels, classes: 5, logitsGradient: nil)
            logits[flat: index] = original
            #expect(abs((plus - minus) / (2 * h) - gradient[flat: index]) <= 1e-3, "dCE/dz[\(index)]")
        }
    }

    @Test("Softmax cross-entropy value", arguments: [Float(0), 50, -80])
    func crossEntropyValue(shift: Float) {
        // Uniform logits give log(K) whatever their common shift; large shifts must not overflow.
        let logits = Tensor(shape: [2, 4], repeating: shift)
        let loss = CrossEntropy.forwardBackward(
            logits: logits.unsafePointer, labels: [1, 2], classes: 4, logitsGradient: nil)
        #expect(abs(loss - Float(4).logarithm) <= 1e-6)
    }
}

extension Float {
    var logarithm: Float { Float(Foundation.log(Double(self))) }
}
