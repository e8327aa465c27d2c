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
    /// (the residual is read at the same offset): y = y + bias + residual, then max(0, y), in that
    /// order, as the unfolded BatchNorm pass adds them.
    func apply(_ output: UnsafeMutablePointer<Float>, rows: Int, offset: Int) {
        if isEmpty { return }
        typealias V = SIMD16<Float>
        let c = channels
        let vectors = c / 16
        for row in 0..<rows {
            let y = UnsafeMutableRawPointer(output + row * c)
            let r = residual.map { UnsafeRawPointer($0 + offset + row * c) }
            let b = bias.map { UnsafeRawPointer($0) }
            for v in 0..<vectors {
                var value = y.loadUnaligned(fromByteOffset: v * 64, as: V.self)
                if let b { value += b.loadUnaligned(fromByteOffset: v * 64, as: V.self) }
                if let r { value += r.loadUnaligned(fromByteOffset: v * 64, as: V.self) }
                if relu { value = value.replacing(with: 0, where: value .< 0) }
                y.storeBytes(of: value, toByteOffset: v * 64, as: V.self)
            }
            let scalars = output + row * c
            for j in (vectors * 16)..<c {
                var value = scalars[j]
                if let bias { value += bias[j] }
                if let r = residual { value += r[offset + row * c + j] }
                if relu { value = max(0, value) }
                scalars[j] = value
            }
        }
    }
}
