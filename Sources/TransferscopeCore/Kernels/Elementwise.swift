/// Element-wise kernels: the ReLU mask of a gradient and the add that accumulates gradients.
/// (The forward ReLU and residual join are fused into BatchNormalization.applyAffine.)
public enum Elementwise {
    /// dx = dy where y > 0, else 0 (the subgradient 0 at 0, as PyTorch).
    /// dx, dy, y: [count] (dx may alias dy).
    public static func reluBackward(
        inputGradient: UnsafeMutablePointer<Float>, outputGradient: UnsafePointer<Float>,
        output: UnsafePointer<Float>, count: Int
    ) {
        Parallel.forEachShare(of: count) { _, range in
            for i in range { inputGradient[i] = output[i] > 0 ? outputGradient[i] : 0 }
        }
    }

    /// y = a + b, then max(0, .) if `relu`. All: [count] (y may alias a or b).
    public static func addForward(
        output: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        count: Int, relu: Bool
    ) {
        Parallel.forEachShare(of: count) { _, range in
            if relu {
                for i in range { output[i] = max(0, a[i] + b[i]) }
            } else {
                for i in range { output[i] = a[i] + b[i] }
            }
        }
    }
}
