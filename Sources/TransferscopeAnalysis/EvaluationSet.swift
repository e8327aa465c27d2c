import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeNN
import TransferscopeTraining

/// A fixed set of images already cut into input batches, for analyses that evaluate many weight
/// settings on the same data: the batches are built once and reused for every evaluation.
public struct EvaluationSet: Sendable {
    /// The input batches and their labels, in order; the last may be smaller. The inputs are the
    /// images [B, side, side, C], or, for a set made by `entering(module:of:)`, the activations
    /// entering that module.
    public let batches: [(inputs: Tensor, labels: [Int])]
    /// The module of `ResNet.modules` the inputs enter: 0 (the stem) for images.
    public let module: Int
    /// For a set that enters a later module, the images' chunk size (see `InferenceModel.chunkSize`),
    /// so that its evaluations have the same bits as evaluations from the images.
    let chunk: Int?
    /// Number of images over all batches.
    public var count: Int { batches.reduce(0) { $0 + $1.labels.count } }

    /// The images at `indices` (all when nil), `batchSize` at a time.
    public init(_ images: PreparedImages, indices: [Int]? = nil, batchSize: Int = 256) {
        let order = indices ?? Array(0..<images.count)
        batches = stride(from: 0, to: order.count, by: batchSize).map { start in
            BatchLoader.batch(images, indices: Array(order[start..<min(order.count, start + batchSize)]))
        }
        module = 0
        chunk = nil
    }

    private init(batches: [(inputs: Tensor, labels: [Int])], module: Int, chunk: Int?) {
        self.batches = batches
        self.module = module
        self.chunk = chunk
    }

    /// The same images as the activations entering module `module` of `model` (its modules before
    /// that one applied once, in inference mode), for evaluating models that differ from `model`
    /// in that module and later ones only; nil when they would take more than `byteLimit` bytes
    /// (evaluate from the images then). Module 0 is the images themselves.
    public func entering(module: Int, of model: ResNet, byteLimit: Int = 1 << 30) -> EvaluationSet? {
        precondition(self.module == 0, "EvaluationSet.entering: the set already enters module \(self.module)")
        let inference = InferenceModel(model)
        guard module > 0, inference.path == .folded, let name = inference.inputName(ofModule: module) else {
            return module == 0 ? self : nil
        }
        guard let first = batches.first else { return EvaluationSet(batches: [], module: module, chunk: nil) }
        let (height, width) = (first.inputs.shape[1], first.inputs.shape[2])
        let shape = inference.activationShape(name, height: height, width: width) ?? []
        guard shape.reduce(4, *) * count <= byteLimit else { return nil }
        let chunk = inference.chunkSize(height: height, width: width)
        return EvaluationSet(
            batches: batches.map { batch in
                guard let activation = inference.forward(batch.inputs, capturing: [name]).activations[name] else {
                    preconditionFailure("EvaluationSet.entering: no \(name) activation")
                }
                return (activation, batch.labels)
            }, module: module, chunk: chunk)
    }

    /// Mean cross-entropy and accuracy of `model` in inference mode (from `module` on: the modules
    /// before it must be those of the model the set was made with).
    public func evaluate(_ model: ResNet) throws -> (loss: Double, accuracy: Double) {
        let classes = model.configuration.classes
        let inference = InferenceModel(model)
        var loss = 0.0
        var correct = 0
        var total = 0
        for (inputs, labels) in batches {
            let logits = module == 0 ? inference.logits(inputs) : inference.logits(inputs, from: module, chunk: chunk)
            let batchLoss = CrossEntropy.forwardBackward(
                logits: logits.unsafePointer, labels: labels, classes: classes, logitsGradient: nil)
            guard batchLoss.isFinite else { throw EvaluationError.nonFiniteLoss(images: labels.count) }
            loss += Double(batchLoss) * Double(labels.count)
            for (n, label) in labels.enumerated()
            where Evaluator.predictedClass(logits.unsafePointer + n * classes, classes: classes) == label {
                correct += 1
            }
            total += labels.count
        }
        return (total == 0 ? 0 : loss / Double(total), total == 0 ? 0 : Double(correct) / Double(total))
    }
}
