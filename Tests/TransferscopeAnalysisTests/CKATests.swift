import Foundation
import Testing
import TransferscopeCore
import TransferscopeNN

@testable import TransferscopeAnalysis

private struct ReferenceCase: Decodable {
    var n: Int
    var p: Int
    var q: Int
    var x: [Float]
    var y: [Float]
    var linear: Double
    var linear_debiased: Double
    var rbf_0_5: Double
    var rbf_1_0_debiased: Double
    var batches: [Int]
    var minibatch_linear_debiased: Double
    var minibatch_linear: Double
    var minibatch_rbf_0_5_debiased: Double

    enum CodingKeys: String, CodingKey {
        case n, p, q, x, y, linear, linear_debiased, batches, minibatch_linear_debiased, minibatch_linear
        case rbf_0_5 = "rbf_0.5"
        case rbf_1_0_debiased = "rbf_1.0_debiased"
        case minibatch_rbf_0_5_debiased = "minibatch_rbf_0.5_debiased"
    }
}

private func referenceCases() throws -> [ReferenceCase] {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures/cka_reference.json")
    return try JSONDecoder().decode([ReferenceCase].self, from: Data(contentsOf: path))
}

private func randomMatrix(_ n: Int, _ p: Int, seed: UInt64) -> [Float] {
    var generator = RandomGenerator(seed: seed)
    return (0..<(n * p)).map { _ in Float(generator.nextNormal()) }
}

@Suite("CKA")
struct CKATests {
    @Test("Agrees with numpy (Kornblith et al.'s formulas) to 1e-5: linear, debiased, RBF")
    func reference() throws {
        for c in try referenceCases() {
            let linear = try CKA.similarity(c.x, features: c.p, c.y, features: c.q)
            let debiased = try CKA.similarity(c.x, features: c.p, c.y, features: c.q, debiased: true)
            let rbf = try CKA.similarity(c.x, features: c.p, c.y, features: c.q, kernel: .rbf(bandwidthFraction: 0.5))
            let rbfDebiased = try CKA.similarity(
                c.x, features: c.p, c.y, features: c.q, kernel: .rbf(bandwidthFraction: 1.0), debiased: true)
            #expect(abs(linear - c.linear) < 1e-5, "n \(c.n): \(linear) vs \(c.linear)")
            #expect(abs(debiased - c.linear_debiased) < 1e-5, "n \(c.n): \(debiased) vs \(c.linear_debiased)")
            #expect(abs(rbf - c.rbf_0_5) < 1e-5, "n \(c.n): \(rbf) vs \(c.rbf_0_5)")
            #expect(abs(rbfDebiased - c.rbf_1_0_debiased) < 1e-5, "n \(c.n): \(rbfDebiased) vs \(c.rbf_1_0_debiased)")
        }
    }

    @Test(
        """
        The minibatch estimator agrees with numpy (Nguyen et al., Song et al.'s unbiased HSIC) to 1e-5, over unequal \
        batches
        """
    )
    func minibatchReference() throws {
        for c in try referenceCases() {
            for (kernel, debiased, expected) in [
                (CKA.Kernel.linear, true, c.minibatch_linear_debiased), (.linear, false, c.minibatch_linear),
                (.rbf(bandwidthFraction: 0.5), true, c.minibatch_rbf_0_5_debiased),
            ] {
                let accumulator = MinibatchCKA(layersA: ["x"], layersB: ["y"], kernel: kernel, debiased: debiased)
                var start = 0
                for size in c.batches {
                    let x = Tensor(shape: [size, c.p], scalars: Array(c.x[(start * c.p)..<((start + size) * c.p)]))
                    let y = Tensor(shape: [size, c.q], scalars: Array(c.y[(start * c.q)..<((start + size) * c.q)]))
                    try accumulator.add(["x": x], ["y": y])
                    start += size
                }
                let value = try accumulator.result()[0][0]
                #expect(
                    abs(value - expected) < 1e-5, "n \(c.n) \(kernel) debiased \(debiased): \(value) vs \(expected)")
            }
        }
    }

    @Test("The feature form (p x q products) equals the Gram form")
    func featureForm() throws {
        let x = randomMatrix(50, 6, seed: 1)
        let y = randomMatrix(50, 9, seed: 2)
        let feature = try CKA.linearFeatureForm(x, p: 6, y, q: 9, n: 50, names: ("X", "Y"))
        let k = try CKA.centered(
            CKA.gram(x, samples: 50, features: 6, kernel: .linear), n: 50, debiased: false, name: "X")
        let l = try CKA.centered(
            CKA.gram(y, samples: 50, features: 9, kernel: .linear), n: 50, debiased: false, name: "Y")
        #expect(abs(feature - CKA.alignment(k, l)) < 1e-6)
    }

    @Test("CKA(X, X) = 1 for every kernel and estimator", arguments: [false, true])
    func identity(debiased: Bool) throws {
        let x = randomMatrix(30, 8, seed: 3)
        for kernel in [CKA.Kernel.linear, .rbf(bandwidthFraction: 0.8)] {
            #expect(
                abs(try CKA.similarity(x, features: 8, x, features: 8, kernel: kernel, debiased: debiased) - 1) < 1e-6)
        }
    }

    @Test("Invariant to orthogonal transforms and isotropic scaling (linear and RBF)")
    func invariances() throws {
        let n = 40
        let p = 5
        let x = randomMatrix(n, p, seed: 4)
        let y = randomMatrix(n, 7, seed: 5)
        // A rotation in the (0, 1) plane and a reflection of feature 2, scaled by 3.5.
        let (c, s): (Float, Float) = (cos(0.7), sin(0.7))
        var transformed = x
        for i in 0..<n {
            let (a, b) = (x[i * p], x[i * p + 1])
            transformed[i * p] = 3.5 * (c * a - s * b)
            transformed[i * p + 1] = 3.5 * (s * a + c * b)
            transformed[i * p + 2] = -3.5 * x[i * p + 2]
            for j in 3..<p { transformed[i * p + j] = 3.5 * x[i * p + j] }
        }
        for kernel in [CKA.Kernel.linear, .rbf(bandwidthFraction: 0.5)] {
            for debiased in [false, true] {
                let before = try CKA.similarity(x, features: p, y, features: 7, kernel: kernel, debiased: debiased)
                let after = try CKA.similarity(
                    transformed, features: p, y, features: 7, kernel: kernel, debiased: debiased)
                #expect(abs(before - after) < 1e-5, "\(kernel) debiased \(debiased): \(before) vs \(after)")
            }
        }
    }

    @Test("Too few samples or a constant representation is an error, never NaN")
    func errors() throws {
        let x = randomMatrix(3, 4, seed: 6)
        #expect(throws: AnalysisError.tooFewSamples(count: 3, needed: 4)) {
            try CKA.similarity(x, features: 4, x, features: 4)
        }
        let constant = [Float](repeating: 2, count: 20 * 3)
        let y = randomMatrix(20, 3, seed: 7)
        for debiased in [false, true] {
            for kernel in [CKA.Kernel.linear, .rbf(bandwidthFraction: 0.5)] {
                let error = #expect(throws: AnalysisError.self) {
                    try CKA.similarity(
                        constant, features: 3, y, features: 3, kernel: kernel, debiased: debiased,
                        names: ("layer1", "layer2"))
                }
                #expect(error == .constantFeatures(layer: "layer1"), "\(kernel) \(debiased)")
            }
        }
    }

    @Test("The minibatch estimator converges to the full-data CKA")
    func minibatch() throws {
        let n = 1200
        let p = 12
        let q = 10
        var generator = RandomGenerator(seed: 8)
        let x = (0..<(n * p)).map { _ in Float(generator.nextNormal()) }
        let mix = (0..<(p * q)).map { _ in Float(generator.nextNormal()) }
        var y = [Float](repeating: 0, count: n * q)
        for i in 0..<n {
            for j in 0..<q {
                var s: Float = 0
                for k in 0..<p { s += x[i * p + k] * mix[k * q + j] }
                y[i * q + j] = tanh(s) + 0.7 * Float(generator.nextNormal())
            }
        }
        let full = try CKA.similarity(x, features: p, y, features: q, debiased: true)
        var errors: [Double] = []
        for batch in [50, 200, 600] {
            let accumulator = MinibatchCKA(layersA: ["x"], layersB: ["y", "x"], debiased: true)
            for start in stride(from: 0, to: n, by: batch) {
                let a = Tensor(shape: [batch, p], scalars: Array(x[(start * p)..<((start + batch) * p)]))
                let b = Tensor(shape: [batch, q], scalars: Array(y[(start * q)..<((start + batch) * q)]))
                try accumulator.add(["x": a], ["y": b, "x": a])
            }
            let matrix = try accumulator.result()
            #expect(abs(matrix[0][1] - 1) < 1e-9)
            errors.append(abs(matrix[0][0] - full))
        }
        #expect(errors.allSatisfy { $0 < 0.02 }, "\(errors), full \(full)")
        #expect(errors[2] < 1e-9 || errors[2] <= errors[0], "\(errors)")
    }

    @Test("CKA's batch fits the activation budget at ImageNet sizes and stays as asked at CIFAR sizes")
    func batchWithinBudget() throws {
        var generator = RandomGenerator(seed: 0)
        let large = ResNet(try #require(ResNetConfiguration.named("resnet50", classes: 10)), generator: &generator)
        let small = ResNet(try #require(ResNetConfiguration.named("resnet20", classes: 10)), generator: &generator)
        for (model, side) in [(large, 224), (small, 32)] {
            let names = FeatureSimilarity.defaultLayers(of: model, everyBlock: true)
            let perImage = 2 * FeatureSimilarity.capturedFloats(InferenceModel(model), names, side: side)
            let batch = FeatureSimilarity.batchSize(256, floatsPerImage: perImage)
            if side == 224 {
                // ResNet-50's 16 block outputs, stem and pool: 5.7 M values, 23 MB, per image and model.
                #expect(perImage / 2 > 5_000_000 && perImage / 2 < 6_500_000)
                #expect(batch < 256 && batch * perImage * 4 <= FeatureSimilarity.activationBudget)
            } else {
                #expect(batch == 256)
            }
        }
    }

}
