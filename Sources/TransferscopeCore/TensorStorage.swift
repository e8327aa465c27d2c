/// A 64-byte-aligned heap buffer of `Float`, shared by tensors until one of them writes.
///
/// `Tensor` keeps one of these and copies it on write when it is not uniquely referenced,
/// which gives tensors value semantics without copying on every assignment.
public final class TensorStorage: @unchecked Sendable {
    /// The first element; valid for `count` elements.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of elements.
    public let count: Int

    /// Allocates `count` uninitialized elements, aligned for AVX loads; large buffers are
    /// recycled through `StoragePool`.
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "TensorStorage: negative count \(count)")
        self.count = count
        pointer = StoragePool.shared.take(count: count).bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// A copy of `other`'s elements in a new buffer.
    public convenience init(copying other: TensorStorage) {
        self.init(uninitializedCount: other.count)
        pointer.update(from: other.pointer, count: count)
    }

    deinit { StoragePool.shared.give(UnsafeMutableRawPointer(pointer), count: count) }
}
