import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeNN

/// Features of a set of images in Double: `count` rows of `width` numbers, row-major.
struct FeatureMatrix: Sendable, Equatable {
    /// Rows: one per image.
    var count: Int
    /// Numbers per row.
    var width: Int
    /// values[i * width + j]: feature j of image i.
    var values: [Double]

    /// A matrix of the given shape; `values` must hold count * width numbers.
    init(count: Int, width: Int, values: [Double]) {
        precondition(
            values.count == count * width, "FeatureMatrix: \(values.count) values for [\(count), \(width)]")
        self.count = count
        self.width = width
        self.values = values
    }

    /// The pooled features of `model` (the global-average-pooled output of its last stage, the
    /// input of the fc head) on the images at `indices`, in inference mode, `batchSize` at a time.
    static func pooled(_ model: ResNet, images: PreparedImages, indices: [Int], batchSize: Int) -> FeatureMatrix {
        let width = model.fc.inputFeatures
        var values = [Double]()
        values.reserveCapacity(indices.count * width)
        let inference = InferenceModel(model)
        for start in stride(from: 0, to: indices.count, by: batchSize) {
            let batch = Array(indices[start..<min(indices.count, start + batchSize)])
            let inputs = BatchLoader.batch(images, indices: batch).inputs
            let captured = inference.forward(inputs, capturing: ["pool"])
            guard let pooled = captured.activations["pool"] else {
                preconditionFailure("FeatureMatrix.pooled: the forward pass returned no pool activations")
            }
            precondition(
                pooled.shape == [batch.count, width],
                "FeatureMatrix.pooled: pool gave \(pooled.shape), expected [\(batch.count), \(width)]")
            pooled.withUnsafeBufferPointer { buffer in values += buffer.lazy.map(Double.init) }
        }
        return FeatureMatrix(count: indices.count, width: width, values: values)
    }
}
