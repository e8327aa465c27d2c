import Testing
import TransferscopeCore
import TransferscopeNN

/// The folded inference path (BatchNorm folded into the convolutions, fused epilogues, chunked
/// depth-first over workers) computes what the reference evaluation-mode forward computes.
@Suite("Inference model")
struct InferenceModelTests {
    /// A model whose BatchNorms are far from identity maps: random gamma and beta, and running
    /// statistics from training-mode passes, so that a wrong fold cannot go unnoticed.
    static func model(_ name: String, widths: [Int], classes: Int = 7, seed: UInt64) -> (ResNet, Tensor) {
        var generator = RandomGenerator(seed: seed)
        let model = ResNet(ResNetConfiguration.named(name, classes: classes, widths: widths)!, generator: &generator)
        for norm in model.batchNorms {
            let (gamma, beta) = (norm.weight.value.unsafeMutablePointer, norm.bias.value.unsafeMutablePointer)
            for c in 0..<norm.channels {
                gamma[c] = 0.5 + Float(generator.nextUniform())
                beta[c] = Float(generator.nextUniform()) - 0.5
            }
        }
        for _ in 0..<3 {
            _ = model.forward(Tensor.randomNormal(shape: [6, 32, 32, 3], using: &generator), training: true)
        }
        return (model, Tensor.randomNormal(shape: [11, 32, 32, 3], using: &generator))
    }

    /// The largest difference relative to the largest magnitude of the reference tensor: a
    /// tolerance that does not depend on the order of the sums.
    static func relativeDifference(_ a: Tensor, _ reference: Tensor) -> Float {
        precondition(a.shape == reference.shape)
        var (difference, scale) = (Float(0), Float(0))
        for i in 0..<a.count {
            difference = max(difference, abs(a[flat: i] - reference[flat: i]))
            scale = max(scale, abs(reference[flat: i]))
        }
        return difference / max(scale, .leastNormalMagnitude)
    }

    @Test(
        "folded logits and every activation agree with the reference within 1e-5",
        arguments: [
            ("resnet8", [16, 32, 64]), ("resnet18", [8, 16, 16, 32]), ("resnet50", [4, 8, 8, 16]),
            // A last stage wider than 128 channels: with AVX-512 its stride-1 convolutions run the
            // image tiles with the weights the snapshot packed (11 images: a full tile and a short one).
            ("resnet18", [8, 16, 32, 160]),
        ])
    func agreesWithReference(name: String, widths: [Int]) {
        let (model, x) = Self.model(name, widths: widths, seed: 21)
        let names = Set(model.activationNames)
        let reference = InferenceModel(model, path: .reference).forward(x, capturing: names)
        for workers in [1, 2] {
            for direct in [true, false] {
                let folded = Parallel.withWorkers(workers) {
                    ConvolutionKernels.$current.withValue(ConvolutionKernels(direct: direct)) {
                        InferenceModel(model, path: .folded).forward(x, capturing: names)
                    }
                }
                let context = "\(name), \(workers) workers, direct \(direct)"
                #expect(Self.relativeDifference(folded.logits, reference.logits) < 1e-5, "\(context)")
                for activation in names {
                    guard let a = folded.activations[activation], let b = reference.activations[activation] else {
                        Issue.record("\(activation) missing, \(context)")
                        continue
                    }
                    #expect(Self.relativeDifference(a, b) < 1e-5, "\(activation), \(context)")
                }
            }
        }
    }

    @Test("the folded path gives the same bits with one, two and three workers, for batches that split unevenly")
    func sameBitsAcrossWorkers() {
        let (model, x) = Self.model("resnet8", widths: [16, 32, 64], seed: 22)
        let inference = InferenceModel(model, path: .folded)
        let one = Parallel.withWorkers(1) { inference.logits(x) }
        let two = Parallel.withWorkers(2) { inference.logits(x) }
        #expect(one == two)
        #expect(one == Parallel.withWorkers(3) { inference.logits(x) })
        #expect(one == Parallel.withWorkers(2) { inference.logits(x) })
        // Chunks go to whichever worker is free: another schedule gives the same bits.
        for schedule in [Parallel.ChunkSchedule.firstFreeReversed, .fixedShares] {
            let other = Parallel.$chunkSchedule.withValue(schedule) {
                Parallel.withWorkers(2) { inference.logits(x) }
            }
            #expect(one == other, "\(schedule)")
        }
    }

    @Test("a snapshot does not follow the model: changing a weight after folding changes only a new snapshot")
    func snapshot() {
        let (model, x) = Self.model("resnet8", widths: [16, 16, 32], seed: 23)
        let before = InferenceModel(model)
        let logits = before.logits(x)
        let gamma = model.bn1.weight.value.unsafeMutablePointer
        for c in 0..<model.bn1.channels { gamma[c] *= 3 }
        #expect(before.logits(x) == logits)
        let after = InferenceModel(model).logits(x)
        #expect(Self.relativeDifference(after, logits) > 1e-2)
        let reference = InferenceModel(model, path: .reference).logits(x)
        #expect(Self.relativeDifference(after, reference) < 1e-5)
    }

    @Test("from any module, with the images' chunk size, the logits have the same bits as from the images")
    func fromModule() {
        for (name, widths) in [("resnet8", [16, 32, 64]), ("resnet50", [4, 8, 8, 16])] {
            let (model, x) = Self.model(name, widths: widths, seed: 24)
            let inference = InferenceModel(model)
            let chunk = inference.chunkSize(height: 32, width: 32)
            let whole = inference.logits(x)
            for module in 1...(model.blockNames.count + 1) {
                guard let input = inference.inputName(ofModule: module) else {
                    Issue.record("no input name for module \(module)")
                    continue
                }
                let entering = inference.forward(x, capturing: [input]).activations[input]!
                let logits = Parallel.withWorkers(module % 2 + 1) {
                    inference.logits(entering, from: module, chunk: chunk)
                }
                #expect(logits == whole, "\(name) from module \(module) (\(input))")
            }
        }
    }

    @Test("Chunks are powers of two: 8 images for resnet20 at 32 (as before) and for ResNet-50 at 224 (was 11)")
    func chunkPowerOfTwo() throws {
        var generator = RandomGenerator(seed: 0)
        for (name, side) in [("resnet20", 32), ("resnet18", 32), ("resnet18", 224), ("resnet50", 224)] {
            // At 32 pixels ResNet-18 is the CIFAR-style one (3x3 stem), as in the benchmark; at 224
            // narrow widths give the same chunks (the smallest layer's 7x7 pixels decide) and build fast.
            let configuration = ResNetConfiguration.named(
                name, classes: 10, widths: side == 224 ? [8, 16, 32, 64] : nil, stem: side == 32 ? .small : nil)
            let model = ResNet(try #require(configuration), generator: &generator)
            let chunk = InferenceModel(model).chunkSize(height: side, width: side)
            #expect(chunk.nonzeroBitCount == 1, "\(name) at \(side): \(chunk)")
            let expected = ["resnet20": 8, "resnet18": side == 32 ? 32 : 8, "resnet50": 8][name]
            #expect(chunk == expected, "\(name) at \(side): \(chunk)")
        }
    }

}
