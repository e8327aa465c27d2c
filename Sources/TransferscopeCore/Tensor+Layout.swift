extension Tensor {
    /// Reorders a 4-D tensor's axes: `result[i0, i1, i2, i3] = self[i_p0, i_p1, i_p2, i_p3]`
    /// where `permutation` lists, for each result axis, the source axis it comes from.
    ///
    /// Used at the PyTorch boundary: NCHW <-> NHWC and OIHW <-> HWIO.
    public func permuted(_ permutation: [Int]) -> Tensor {
        precondition(
            shape.count == 4 && permutation.sorted() == [0, 1, 2, 3],
            "Tensor.permuted: needs a 4-D tensor and a permutation of 0...3, got \(shape), \(permutation)")
        let newShape = permutation.map { shape[$0] }
        var sourceStrides = [1, 1, 1, 1]
        for axis in stride(from: 2, through: 0, by: -1) {
            sourceStrides[axis] = sourceStrides[axis + 1] * shape[axis + 1]
        }
        let s = permutation.map { sourceStrides[$0] }
        var result = Tensor(uninitializedShape: newShape)
        let source = unsafePointer
        let target = result.unsafeMutablePointer
        var index = 0
        for a in 0..<newShape[0] {
            for b in 0..<newShape[1] {
                for c in 0..<newShape[2] {
                    let base = a * s[0] + b * s[1] + c * s[2]
                    for d in 0..<newShape[3] {
                        target[index] = source[base + d * s[3]]
                        index += 1
                    }
                }
            }
        }
        return result
    }

    /// NCHW (PyTorch images) to NHWC (the engine's layout).
    public func nchwToNHWC() -> Tensor { permuted([0, 2, 3, 1]) }
    /// NHWC (the engine's layout) to NCHW (PyTorch images).
    public func nhwcToNCHW() -> Tensor { permuted([0, 3, 1, 2]) }
}
