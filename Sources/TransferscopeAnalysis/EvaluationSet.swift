import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeNN
import TransferscopeTraining

/// A fixed set of images already cut into input batches, for analyses that evaluate many weight
/// settings on the same data: the batches are built once and reused for every evaluation.
public struct EvaluationSet: Sendable {
    /// The input batches [B, side, side, C] and their labels, in order; the last may be smaller.
    public let batches: [(inputs: Tensor, labels: [Int])]
    /// Number of images over all batches.
    public var count: Int { batches.reduce(0) { $0 + $1.labels.count } }

    /// The images at `indices` (all when nil), `batchSize` at a time.
    public init(_ images: PreparedImages, indices: [Int]? = nil, batchSize: Int = 256) {
        let order = indices ?? Array(0..<images.count)
        batches = stride(from: 0, to: order.count, by: batchSize).map { start in
            BatchLoader.batch(images, indices: Array(order[start..<min(order.count, start + batchSize)]))
        }
    }

    /// Mean cross-entropy and accuracy of `model` in inference mode.
    public func evaluate(_ model: ResNet) throws -> (loss: Double, accuracy: Double) {
        let classes = model.configuration.classes
        var loss = 0.0
        var correct = 0
        var total = 0
        for (inputs, labels) in batches {
            let logits = model.inference(inputs)
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
