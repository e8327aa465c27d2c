/// What a convolution does to its output rows before they leave the cache: add a per-channel
/// bias, add a residual of the output's shape, then clamp at zero. With a BatchNorm folded into
/// the convolution (weight * scale, bias = shift), a whole conv-BN-ReLU, or a residual block's
/// last conv-BN + shortcut + ReLU, is one pass over memory.
struct Epilogue {
    /// [C_out], added to every row; nil: none.
    var bias: UnsafePointer<Float>?
    /// [rows, C_out] over the whole output, read at the same offset as the output; nil: none.
    var residual: UnsafePointer<Float>?
    /// Whether the result is max(0, .).
    var relu: Bool
    /// C_out: the length of a row.
    var channels: Int

    /// Whether `apply` has anything to do.
    var isEmpty: Bool { bias == nil && residual == nil && !relu }

    /// Applies the epilogue to `rows` rows at `output`, which lies `offset` floats into the output
    /// (the residual is read at the same offset).
    func apply(_ output: UnsafeMutablePointer<Float>, rows: Int, offset: Int) {
        if isEmpty { return }
        let c = channels
        let residualRows = residual.map { $0 + offset }
        for row in 0..<rows {
            let y = output + row * c
            if let bias {
                for j in 0..<c { y[j] += bias[j] }
            }
            if let r = residualRows.map({ $0 + row * c }) {
                for j in 0..<c { y[j] += r[j] }
            }
            if relu {
                for j in 0..<c { y[j] = max(0, y[j]) }
            }
        }
    }
}
