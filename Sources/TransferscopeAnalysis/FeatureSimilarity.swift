import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeNN

/// The CKA of every chosen layer of model A against every chosen layer of model B on the same
/// images (analysis 3), from one forward pass of each model per batch.
public struct FeatureSimilarity: Codable, Sendable, Equatable {
    /// Model A's layers compared (rows of `values`), by activation name.
    public var layersA: [String]
    /// Model B's layers compared (columns of `values`), by activation name.
    public var layersB: [String]
    /// values[i][j]: CKA of A's layer i and B's layer j.
    public var values: [[Double]]
    /// The kernel applied to each layer's activations (linear or RBF).
    public var kernel: CKA.Kernel
    /// Whether HSIC is the unbiased estimator (Song et al. 2012) rather than the biased one.
    public var debiased: Bool
    /// Images the values were computed on, all batches together.
    public var samples: Int
    /// Seconds in forward passes, and in the CKA arithmetic (Gram matrices and their products).
    public var forwardSeconds: Double
    /// Seconds in the CKA arithmetic: Gram matrices and their inner products.
    public var ckaSeconds: Double

    /// CKA of layer `name` with itself across the models (the diagonal), when both have it.
    public func diagonal() -> [(layer: String, value: Double)] {
        layersA.enumerated().compactMap { i, name in layersB.firstIndex(of: name).map { (name, values[i][$0]) } }
    }

    /// The stage outputs (stem, each stage, pool), or with `everyBlock` every block's output too.
    public static func defaultLayers(of model: ResNet, everyBlock: Bool = false) -> [String] {
        let stages = model.stages.indices.map { "layer\($0 + 1)" }
        if !everyBlock { return ["stem"] + stages + ["pool"] }
        return ["stem"] + model.blockNames.map(\.0) + ["pool"]
    }

    /// Bytes the captured activations of one batch may take, both models together: at ImageNet
    /// sizes a ResNet-50's block outputs are 23 MB per image, so 256 images would hold 12 GB.
    public static let activationBudget = 1 << 30

    /// The images per batch: `requested`, or as many as keep `floatsPerImage` captured values per
    /// image within `activationBudget` (never fewer than twice the estimator's minimum). Memory is
    /// then the budget plus each layer pair's Gram matrices, whatever the number of images.
    public static func batchSize(_ requested: Int, floatsPerImage: Int) -> Int {
        let fitting = activationBudget / max(4 * floatsPerImage, 1)
        return max(min(requested, fitting), 2 * CKA.minimumSamples)
    }

    /// Values of the activations `names` of one `side x side` image.
    static func capturedFloats(_ model: InferenceModel, _ names: [String], side: Int) -> Int {
        names.reduce(0) { total, name in
            total + (model.activationShape(name, height: side, width: side)?.reduce(1, *) ?? 0)
        }
    }

    /// Computes the matrix over the images at `indices` (all when nil), `batchSize` at a time (fewer
    /// when the captured activations would pass `activationBudget`, see `batchSize(_:floatsPerImage:)`).
    /// `imagesB` gives model B its own preparation of the same images (its normalization) when it differs.
    public static func compute(
        _ a: ResNet, _ b: ResNet, images: PreparedImages, imagesB: PreparedImages? = nil, indices: [Int]? = nil,
        layersA: [String]? = nil,
        layersB: [String]? = nil, kernel: CKA.Kernel = .linear, debiased: Bool = true, batchSize: Int = 256,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> FeatureSimilarity {
        let namesA = layersA ?? defaultLayers(of: a)
        let namesB = layersB ?? defaultLayers(of: b)
        for (model, names, label) in [(a, namesA, "A"), (b, namesB, "B")] {
            let unknown = names.filter { !model.activationNames.contains($0) }
            guard unknown.isEmpty else {
                throw AnalysisError.invalidArgument(
                    "model \(label) has no layer \(unknown.joined(separator: ", ")); its layers are "
                        + "\(model.activationNames.joined(separator: ", "))"
                )
            }
        }
        let order = indices ?? Array(0..<images.count)
        guard order.count >= CKA.minimumSamples else {
            throw AnalysisError.tooFewSamples(count: order.count, needed: CKA.minimumSamples)
        }
        let accumulator = MinibatchCKA(layersA: namesA, layersB: namesB, kernel: kernel, debiased: debiased)
        var forward = 0.0
        var arithmetic = 0.0
        // The last batch joins the one before when it would be smaller than the estimator allows.
        let (inferenceA, inferenceB) = (InferenceModel(a), InferenceModel(b))
        let perImage =
            Self.capturedFloats(inferenceA, namesA, side: images.side)
            + Self.capturedFloats(inferenceB, namesB, side: imagesB?.side ?? images.side)
        let batchSize = Self.batchSize(batchSize, floatsPerImage: perImage)
        var starts = Array(stride(from: 0, to: order.count, by: batchSize))
        if starts.count > 1, let last = starts.last, order.count - last < CKA.minimumSamples { starts.removeLast() }
        for (number, start) in starts.enumerated() {
            let end = number == starts.count - 1 ? order.count : start + batchSize
            let batch = Array(order[start..<end])
            let inputs = BatchLoader.batch(images, indices: batch).inputs
            let inputsB = imagesB.map { BatchLoader.batch($0, indices: batch).inputs } ?? inputs
            let clock = Date()
            let activationsA = inferenceA.forward(inputs, capturing: Set(namesA)).activations
            let activationsB = inferenceB.forward(inputsB, capturing: Set(namesB)).activations
            let middle = Date()
            try accumulator.add(activationsA, activationsB)
            forward += middle.timeIntervalSince(clock)
            arithmetic += Date().timeIntervalSince(middle)
            progress(number + 1, starts.count)
        }
        return FeatureSimilarity(
            layersA: namesA, layersB: namesB, values: try accumulator.result(), kernel: kernel, debiased: debiased,
            samples: accumulator.samples, forwardSeconds: forward, ckaSeconds: arithmetic)
    }
}
