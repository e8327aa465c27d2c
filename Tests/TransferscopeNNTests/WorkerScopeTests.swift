import Testing
import TransferscopeCore
import TransferscopeNN

/// The worker count is scoped (issue 16): work in one task keeps its own count while another
/// task runs with a different one, and a model may run under a count other than the one it was
/// built under.
@Suite("Worker scope")
struct WorkerScopeTests {
    /// A convolution with fixed weights.
    static func layer() -> Conv2d {
        var generator = RandomGenerator(seed: 7)
        return Conv2d(inputChannels: 8, outputChannels: 8, kernelSize: 3, padding: 1, generator: &generator)
    }

    /// The weight gradient of `conv` on fixed data (its output as the output gradient). Its sums
    /// are split across the workers and reduced in worker order, so its bits depend on the count,
    /// provided the workers' shares do not fall on the blocks in which sgemm itself sums: 13
    /// images of 7 x 7 pixels (4 workers: 196, 147, 147 and 147 rows; one: 539 and 98, in im2col
    /// groups of 11 images). Sixteen 8 x 8 images (256 rows each of 4 workers) gave the same bits
    /// on 1 and 4 workers with OpenBLAS's Haswell kernels on an AMD EPYC whose environment sets
    /// OPENBLAS_L2_SIZE=512: sgemm added blocks of 256 rows in the same order as the workers.
    static func weightGradient(of conv: Conv2d) -> [Float] {
        var generator = RandomGenerator(seed: 8)
        let x = Tensor.randomNormal(shape: [13, 7, 7, 8], using: &generator)
        conv.weight.zeroGradient()
        conv.backward(conv.forward(x), inputGradient: false)
        return conv.weight.gradient.scalars
    }

    @Test("Concurrent tasks with different worker counts each get the bits of their own count")
    func concurrentCounts() async {
        let one = Parallel.withWorkers(1) { Self.weightGradient(of: Self.layer()) }
        let four = Parallel.withWorkers(4) { Self.weightGradient(of: Self.layer()) }
        #expect(one != four, "the check needs a result whose bits depend on the worker count")
        let results = await withTaskGroup(of: (count: Int, gradients: [[Float]], countAfter: Int).self) { group in
            for task in 0..<8 {
                let count = task % 2 == 0 ? 1 : 4
                group.addTask {
                    Parallel.withWorkers(count) {
                        let conv = Self.layer()
                        let gradients = (0..<6).map { _ in Self.weightGradient(of: conv) }
                        return (count, gradients, Parallel.workerCount)
                    }
                }
            }
            var all: [(count: Int, gradients: [[Float]], countAfter: Int)] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 8)
        for result in results {
            #expect(result.countAfter == result.count)
            let expected = result.count == 1 ? one : four
            #expect(result.gradients.allSatisfy { $0 == expected }, "\(result.count) workers")
        }
    }

    @Test("A model built under 1 worker trains under 4, with the bits of a model built under 4")
    func builtNarrowRunsWide() {
        func model() -> ResNet {
            var generator = RandomGenerator(seed: 3)
            let configuration = ResNetConfiguration.named("resnet8", classes: 4, widths: [16, 16, 32])!
            return ResNet(configuration, generator: &generator)
        }
        func gradients(of model: ResNet) -> [[Float]] {
            var generator = RandomGenerator(seed: 4)
            let x = Tensor.randomNormal(shape: [8, 12, 12, 3], using: &generator)
            let labels = (0..<8).map { $0 % 4 }
            model.zeroGradients()
            let logits = model.forward(x, training: true)
            var d = Tensor(shape: logits.shape)
            _ = CrossEntropy.forwardBackward(
                logits: logits.unsafePointer, labels: labels, classes: 4,
                logitsGradient: d.unsafeMutablePointer)
            model.backward(d)
            return model.namedState.parameters.map { $0.parameter.gradient.scalars }
        }
        let narrow = Parallel.withWorkers(1) { model() }
        let wide = Parallel.withWorkers(4) { model() }
        #expect(Parallel.withWorkers(4) { gradients(of: narrow) } == Parallel.withWorkers(4) { gradients(of: wide) })
    }
}
