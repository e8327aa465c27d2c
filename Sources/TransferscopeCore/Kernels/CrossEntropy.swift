import Foundation

/// Softmax cross-entropy, averaged over the batch, as `torch.nn.functional.cross_entropy`.
public enum CrossEntropy {
    /// loss = mean_n [ logsumexp(z_n) - z_n[y_n] ]; returns the loss and writes
    /// dz = (softmax(z) - onehot(y)) / B, and the softmax probabilities if asked. B is the batch
    /// N unless `gradientBatch` says otherwise: a data-parallel process holds N = B / ranks of the
    /// batch of B, and its dz is then its share of the whole batch's mean loss.
    /// logits: [N, K]; labels: N class indices in 0..<K.
    public static func forwardBackward(
        logits: UnsafePointer<Float>, labels: [Int], classes: Int,
        logitsGradient: UnsafeMutablePointer<Float>?, gradientBatch: Int? = nil
    ) -> Float {
        let batch = labels.count
        let divisor = Double(gradientBatch ?? batch)
        var total = 0.0
        for n in 0..<batch {
            let z = logits + n * classes
            precondition(
                labels[n] >= 0 && labels[n] < classes,
                "CrossEntropy: label \(labels[n]) of sample \(n) outside 0..<\(classes)")
            var maximum = -Float.infinity
            for k in 0..<classes { maximum = max(maximum, z[k]) }
            var sum = 0.0
            for k in 0..<classes { sum += Double(expf(z[k] - maximum)) }
            let logSumExp = Double(maximum) + log(sum)
            total += logSumExp - Double(z[labels[n]])
            if let logitsGradient {
                let dz = logitsGradient + n * classes
                for k in 0..<classes {
                    let p = exp(Double(z[k]) - logSumExp)
                    dz[k] = Float((p - (k == labels[n] ? 1 : 0)) / divisor)
                }
            }
        }
        return Float(total / Double(max(batch, 1)))
    }
}
