/// A dense, row-major tensor of `Float` with value semantics (copy on write).
///
/// Image activations are laid out NHWC (`[batch, height, width, channels]`) inside the engine;
/// PyTorch layouts appear only at the checkpoint boundary.
public struct Tensor: @unchecked Sendable {
    /// The size of each dimension, outermost first.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// The number of elements: the product of `shape`.
    @inlinable public var count: Int { storage.count }

    /// A tensor of `shape` with every element equal to `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(uninitializedShape: shape)
        storage.pointer.initialize(repeating: value, count: storage.count)
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        precondition(
            Tensor.elementCount(of: shape) == scalars.count,
            "Tensor: shape \(shape) needs \(Tensor.elementCount(of: shape)) scalars, got \(scalars.count)")
        self.init(uninitializedShape: shape)
        storage.pointer.update(from: scalars, count: scalars.count)
    }

    /// A tensor of `shape` whose elements are not initialized; every element must be written
    /// before it is read.
    public init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        storage = TensorStorage(uninitializedCount: Tensor.elementCount(of: shape))
    }

    /// An empty tensor of shape `[0]`.
    public init() { self.init(shape: [0]) }

    /// The product of the dimensions of `shape`.
    public static func elementCount(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// The elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(
            Tensor.elementCount(of: newShape) == count,
            "Tensor.reshaped: cannot view \(shape) as \(newShape)")
        var result = self
        result.shape = newShape
        return result
    }

    /// Calls `body` with read access to the elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// Calls `body` with write access to the elements, copying them first if they are shared.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = TensorStorage(copying: storage) }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// The read-only base address; valid while `self` is alive and unmodified.
    @inlinable public var unsafePointer: UnsafePointer<Float> { UnsafePointer(storage.pointer) }

    /// The writable base address, after making the storage unique; valid until `self` is
    /// copied or modified through another path.
    @inlinable public var unsafeMutablePointer: UnsafeMutablePointer<Float> {
        mutating get {
            if !isKnownUniquelyReferenced(&storage) { storage = TensorStorage(copying: storage) }
            return storage.pointer
        }
    }

    /// The element at flat (row-major) index `index`.
    @inlinable
    public subscript(flat index: Int) -> Float {
        get {
            precondition(index >= 0 && index < count, "Tensor: flat index \(index) out of range 0..<\(count)")
            return storage.pointer[index]
        }
        set {
            precondition(index >= 0 && index < count, "Tensor: flat index \(index) out of range 0..<\(count)")
            unsafeMutablePointer[index] = newValue
        }
    }

    /// Sets every element to `value`.
    public mutating func fill(_ value: Float) {
        unsafeMutablePointer.update(repeating: value, count: count)
    }
}

extension Tensor: Equatable {
    /// Equal shapes and bit-for-bit equal elements (so NaN differs from itself).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        for i in 0..<lhs.count where lhs.storage.pointer[i].bitPattern != rhs.storage.pointer[i].bitPattern {
            return false
        }
        return true
    }
}

extension Tensor: CustomStringConvertible {
    /// The shape and the first 8 elements (then "..."), for debugging; not every element.
    public var description: String {
        let head = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(head)\(count > 8 ? ", ..." : "")])"
    }
}
