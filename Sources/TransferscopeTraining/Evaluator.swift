import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeNN

/// A model's predictions on a set of images, and the numbers derived from them.
public struct Evaluation: Sendable {
    /// Mean cross-entropy.
    public var loss: Double
    /// Fraction of images whose predicted class is the label, in [0, 1].
    public var accuracy: Double
    /// Accuracy on each class's images (NaN-free: 0 for a class with no images).
    public var perClassAccuracy: [Double]
    /// confusion[true][predicted] counts.
    public var confusion: [[Int]]
    /// Predicted class per image.
    public var predictions: [Int]
    /// True class per image, in 0..<classes.
    public var labels: [Int]
    /// Softmax probabilities per image, [count][classes] (empty unless asked for).
    public var probabilities: [[Float]]
}

/// A model whose outputs are not numbers: evaluation stops, as training does.
public enum EvaluationError: Error, LocalizedError, Equatable {
    case nonFiniteLoss(images: Int)

    /// The message for the user: the batch size whose loss was not finite, and the likely causes.
    public var errorDescription: String? {
        switch self {
        case .nonFiniteLoss(let images):
            return
                "the loss on a batch of \(images) image(s) is NaN or infinite: the model's outputs overflow, "
                + "because its weights are too large (a model far outside the trained ones) or it diverged. The "
                + "evaluation stopped there."
        }
    }
}

/// Evaluation of a model in inference mode (running BatchNorm statistics).
public enum Evaluator {
    /// The class with the largest logit in `row` [classes] (the first on ties).
    @inlinable
    public static func predictedClass(_ row: UnsafePointer<Float>, classes: Int) -> Int {
        var best = 0
        for k in 1..<classes where row[k] > row[best] { best = k }
        return best
    }

    /// Evaluates `model` on the images at `indices` (all when nil), `batchSize` at a time.
    public static func evaluate(
        _ model: ResNet, on images: PreparedImages, indices: [Int]? = nil, batchSize: Int = 256,
        keepProbabilities: Bool = false
    ) throws -> Evaluation {
        let order = indices ?? Array(0..<images.count)
        let classes = model.configuration.classes
        let inference = InferenceModel(model)
        var loss = 0.0
        var predictions: [Int] = []
        var probabilities: [[Float]] = []
        predictions.reserveCapacity(order.count)
        var start = 0
        while start < order.count {
            let batchIndices = Array(order[start..<min(order.count, start + batchSize)])
            let (inputs, labels) = BatchLoader.batch(images, indices: batchIndices)
            let logits = inference.logits(inputs)
            let batchLoss = CrossEntropy.forwardBackward(
                logits: logits.unsafePointer, labels: labels, classes: classes, logitsGradient: nil)
            guard batchLoss.isFinite else { throw EvaluationError.nonFiniteLoss(images: labels.count) }
            loss += Double(batchLoss) * Double(labels.count)
            for n in 0..<labels.count {
                let row = logits.unsafePointer + n * classes
                let best = predictedClass(row, classes: classes)
                predictions.append(best)
                if keepProbabilities {
                    let maximum = row[best]
                    var p = (0..<classes).map { expf(row[$0] - maximum) }
                    let sum = p.reduce(0, +)
                    for k in 0..<classes { p[k] /= sum }
                    probabilities.append(p)
                }
            }
            start += batchSize
        }
        let labels = order.map { images.labels[$0] }
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (truth, predicted) in zip(labels, predictions) where truth < classes { confusion[truth][predicted] += 1 }
        let correct = zip(labels, predictions).filter { $0 == $1 }.count
        let perClass = confusion.enumerated().map { k, row -> Double in
            let total = row.reduce(0, +)
            return total == 0 ? 0 : Double(row[k]) / Double(total)
        }
        return Evaluation(
            loss: order.isEmpty ? 0 : loss / Double(order.count),
            accuracy: order.isEmpty ? 0 : Double(correct) / Double(order.count),
            perClassAccuracy: perClass, confusion: confusion, predictions: predictions, labels: labels,
            probabilities: probabilities)
    }
}
