import Testing

@testable import TransferscopeCore

@Suite("Max pooling")
struct PoolingTests {
    /// The definition, one channel at a time: the window's first value, replaced by a greater one
    /// or a NaN (PyTorch propagates NaN), in rows-then-columns order; padding never wins.
    static func reference(
        _ input: [Float], batch: Int, height: Int, width: Int, channels: Int, kernel: Int, stride: Int, padding: Int
    ) -> (values: [Float], argmax: [Int32]) {
        let oh = (height + 2 * padding - kernel) / stride + 1
        let ow = (width + 2 * padding - kernel) / stride + 1
        var values = [Float](repeating: 0, count: batch * oh * ow * channels)
        var argmax = [Int32](repeating: 0, count: values.count)
        for n in 0..<batch {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for c in 0..<channels {
                        var (best, index): (Float, Int32) = (-.infinity, -1)
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let (iy, ix) = (oy * stride - padding + ky, ox * stride - padding + kx)
                                guard (0..<height).contains(iy), (0..<width).contains(ix) else { continue }
                                let i = ((n * height + iy) * width + ix) * channels + c
                                if index < 0 || input[i] > best || input[i].isNaN {
                                    (best, index) = (input[i], Int32(i))
                                }
                            }
                        }
                        let o = ((n * oh + oy) * ow + ox) * channels + c
                        (values[o], argmax[o]) = (best, index)
                    }
                }
            }
        }
        return (values, argmax)
    }

    @Test(
        "The kernel gives the definition's values and argmax bit for bit: ties, NaNs, padding, any channel count",
        arguments: [(3, 3, 2, 1), (16, 3, 2, 1), (64, 3, 2, 1), (5, 2, 2, 0), (32, 3, 1, 1), (37, 3, 2, 1)])
    func matchesDefinition(_ setting: (channels: Int, kernel: Int, stride: Int, padding: Int)) {
        let (batch, height, width) = (2, 9, 7)
        var generator = RandomGenerator(seed: 11)
        // Few distinct values, so windows hold ties; a few NaNs and infinities.
        var input = (0..<(batch * height * width * setting.channels)).map { _ in
            Float(Int(generator.nextUniform() * 5)) - 2
        }
        for i in stride(from: 7, to: input.count, by: 97) { input[i] = .nan }
        for i in stride(from: 3, to: input.count, by: 131) { input[i] = -.infinity }
        let expected = Self.reference(
            input, batch: batch, height: height, width: width, channels: setting.channels, kernel: setting.kernel,
            stride: setting.stride, padding: setting.padding)
        var values = [Float](repeating: 0, count: expected.values.count)
        var argmax = [Int32](repeating: 0, count: expected.argmax.count)
        input.withUnsafeBufferPointer { x in
            values.withUnsafeMutableBufferPointer { y in
                argmax.withUnsafeMutableBufferPointer { a in
                    Pooling.maxForward(
                        output: y.baseAddress!, argmax: a.baseAddress!, input: x.baseAddress!, batch: batch,
                        height: height, width: width, channels: setting.channels, kernelSize: setting.kernel,
                        stride: setting.stride, padding: setting.padding)
                }
            }
        }
        #expect(argmax == expected.argmax)
        #expect(values.map(\.bitPattern) == expected.values.map(\.bitPattern))
        #expect(values.contains { $0.isNaN })
        // The inference kernel, without the argmax: the same bits.
        var inference = [Float](repeating: 0, count: expected.values.count)
        input.withUnsafeBufferPointer { x in
            inference.withUnsafeMutableBufferPointer { y in
                Pooling.maxForward(
                    output: y.baseAddress!, input: x.baseAddress!, batch: batch, height: height, width: width,
                    channels: setting.channels, kernelSize: setting.kernel, stride: setting.stride,
                    padding: setting.padding)
            }
        }
        #expect(inference.map(\.bitPattern) == expected.values.map(\.bitPattern))
    }
}
