/// A 64-byte-aligned heap buffer of `Float`, shared by tensors until one of them writes.
///
/// `Tensor` keeps one of these and copies it on write when it is not uniquely referenced,
/// which gives tensors value semantics without copying on every assignment.
public final class TensorStorage: @unchecked Sendable {
    /// The first element; valid for `count` elements.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of elements.
    public let count: Int

    /// Allocates `count` uninitialized elements, aligned for AVX loads.
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "TensorStorage: negative count \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// A copy of `other`'s elements in a new buffer.
    public convenience init(copying other: TensorStorage) {
        self.init(uninitializedCount: other.count)
        pointer.update(from: other.pointer, count: count)
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}
