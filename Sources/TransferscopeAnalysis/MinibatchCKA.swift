import Foundation
import TransferscopeCore

/// CKA of every layer of model A against every layer of model B, accumulated over minibatches
/// so that the number of inputs is not limited by memory (Nguyen, Raghu, Kornblith 2021):
///
///     CKA_mb(a, b) = sum_i HSIC(K_a,i, L_b,i) / sqrt(sum_i HSIC(K_a,i, K_a,i) * sum_i HSIC(L_b,i, L_b,i))
///
/// over batches i, with HSIC the unbiased estimator <K~', L~'> / (m (m - 3)) (or, not debiased,
/// <HKH, HLH> / (m - 1)^2). Each batch costs one m x m Gram matrix per layer (an sgemm) and one
/// inner product per layer pair, so a whole layer-by-layer matrix comes from a single pass.
public final class MinibatchCKA {
    /// Model A's layers, by activation name (the rows of the result).
    public let layersA: [String]
    /// Model B's layers, by activation name (the columns of the result).
    public let layersB: [String]
    /// The kernel applied to each layer's activations (linear or RBF).
    public let kernel: CKA.Kernel
    /// Whether each batch's HSIC is the unbiased estimator (m >= 4) rather than the biased one.
    public let debiased: Bool
    private var cross: [[Double]]
    private var selfA: [Double]
    private var selfB: [Double]
    /// Inputs added so far, over all batches.
    public private(set) var samples = 0
    /// Batches added so far.
    public private(set) var batches = 0

    /// An empty accumulator for `layersA` x `layersB`; add batches with `add(_:_:)`.
    public init(layersA: [String], layersB: [String], kernel: CKA.Kernel = .linear, debiased: Bool = true) {
        self.layersA = layersA
        self.layersB = layersB
        self.kernel = kernel
        self.debiased = debiased
        cross = Array(repeating: Array(repeating: 0, count: layersB.count), count: layersA.count)
        selfA = Array(repeating: 0, count: layersA.count)
        selfB = Array(repeating: 0, count: layersB.count)
    }

    /// Adds one batch: the activations [m, ...] of every layer of A and of B on the same m inputs.
    public func add(_ activationsA: [String: Tensor], _ activationsB: [String: Tensor]) throws {
        guard let first = activationsA[layersA[0]] else {
            throw AnalysisError.invalidArgument("no activation for \(layersA[0])")
        }
        let m = first.shape[0]
        guard m >= CKA.minimumSamples else { throw AnalysisError.tooFewSamples(count: m, needed: CKA.minimumSamples) }
        // Every layer's centered Gram matrix, the layers shared out across the workers.
        var layers: [(model: String, name: String, tensor: Tensor)] = []
        for (model, names, activations) in [("A", layersA, activationsA), ("B", layersB, activationsB)] {
            for name in names {
                guard let tensor = activations[name], tensor.shape[0] == m else {
                    throw AnalysisError.invalidArgument(
                        "model \(model) has no activation \(name) for this batch of \(m)")
                }
                layers.append((model, name, tensor))
            }
        }
        let grams = SlotArray<Result<[Double], AnalysisError>>(count: layers.count, initial: .success([]))
        let (kernel, debiased) = (self.kernel, self.debiased)
        Parallel.forEachShare(of: layers.count) { _, range in
            for i in range {
                let (model, name, t) = layers[i]
                let gram = CKA.gram(t.unsafePointer, samples: m, features: t.count / m, kernel: kernel)
                do {
                    grams[i] = .success(try CKA.centered(gram, n: m, debiased: debiased, name: "\(model):\(name)"))
                } catch let error as AnalysisError {
                    grams[i] = .failure(error)
                } catch {
                    grams[i] = .failure(.invalidArgument("\(error)"))
                }
            }
        }
        let centered = try grams.values.map { try $0.get() }
        let k = Array(centered[..<layersA.count])
        let l = Array(centered[layersA.count...])
        let scale = debiased ? 1 / Double(m * (m - 3)) : 1 / Double((m - 1) * (m - 1))
        func dot(_ u: [Double], _ v: [Double]) -> Double {
            var s = 0.0
            for i in 0..<u.count { s += u[i] * v[i] }
            return s
        }
        // The inner products, pairs shared out across the workers.
        let pairs = (0..<k.count).flatMap { a in (0..<l.count).map { (a, $0) } }
        let products = SlotArray<Double>(count: pairs.count, initial: 0)
        Parallel.forEachShare(of: pairs.count) { _, range in
            for i in range { products[i] = dot(k[pairs[i].0], l[pairs[i].1]) }
        }
        for (i, (a, b)) in pairs.enumerated() { cross[a][b] += scale * products[i] }
        for a in 0..<k.count { selfA[a] += scale * dot(k[a], k[a]) }
        for b in 0..<l.count { selfB[b] += scale * dot(l[b], l[b]) }
        samples += m
        batches += 1
    }

    /// The CKA matrix [layersA.count][layersB.count].
    public func result() throws -> [[Double]] {
        guard batches > 0 else { throw AnalysisError.tooFewSamples(count: 0, needed: CKA.minimumSamples) }
        for (a, value) in selfA.enumerated() where !(value > 0) {
            throw AnalysisError.constantFeatures(layer: "A:" + layersA[a])
        }
        for (b, value) in selfB.enumerated() where !(value > 0) {
            throw AnalysisError.constantFeatures(layer: "B:" + layersB[b])
        }
        return cross.enumerated().map { a, row in
            row.enumerated().map { b, value in value / (selfA[a] * selfB[b]).squareRoot() }
        }
    }
}
