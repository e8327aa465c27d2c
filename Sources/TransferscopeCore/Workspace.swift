/// A scratch buffer that grows to the largest size asked of it and is then reused, so that
/// kernels make no large allocation per step. Used by one thread at a time.
public final class ScratchBuffer: @unchecked Sendable {
    private var pointer: UnsafeMutablePointer<Float>?
    private var capacity = 0

    public init() {}

    /// At least `count` floats; the contents are unspecified.
    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if let pointer, capacity >= count { return pointer }
        pointer?.deallocate()
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        let fresh = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer = fresh
        capacity = max(count, 1)
        return fresh
    }

    deinit { pointer?.deallocate() }
}

/// One scratch buffer per parallel worker (see `Parallel`), kept by a layer across steps.
public final class Workspace: @unchecked Sendable {
    private let slots: [ScratchBuffer]

    /// A workspace with `slots` independent buffers (default: one per worker).
    public init(slots: Int = Parallel.workerCount) {
        self.slots = (0..<max(slots, 1)).map { _ in ScratchBuffer() }
    }

    /// The buffer of `worker`, with room for at least `count` floats.
    public func floats(worker: Int, count: Int) -> UnsafeMutablePointer<Float> {
        precondition(worker >= 0 && worker < slots.count, "Workspace: worker \(worker) out of 0..<\(slots.count)")
        return slots[worker].floats(count)
    }
}
