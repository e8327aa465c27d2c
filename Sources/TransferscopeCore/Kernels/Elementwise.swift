/// Element-wise kernels: the add that accumulates gradients. (The forward ReLU and residual join
/// are fused into BatchNormalization.applyAffine, their backward into BatchNormalization.backward.)
public enum Elementwise {
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
