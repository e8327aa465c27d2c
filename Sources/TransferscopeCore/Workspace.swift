import TransferscopeIO

/// A scratch buffer that grows to the largest size asked of it and is then reused, so that
/// kernels make no large allocation per step. Used by one thread at a time.
public final class ScratchBuffer: @unchecked Sendable {
    private var pointer: UnsafeMutablePointer<Float>?
    private var capacity = 0

    /// An empty buffer; the first `floats(_:)` call allocates.
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
///
/// The worker count is scoped (`Parallel.withWorkers`), so a layer built under one count may run
/// under a wider one: the workspace has a slot for every worker index up to `Limits.threads`, and
/// a slot's buffer is made the first time its worker asks. Each slot is read and written only by
/// its own worker (as `Parallel.forEachShare` and `forEachChunk` hand them out), so no lock is needed; like the
/// layer that owns it, a workspace serves one call at a time.
public final class Workspace: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<ScratchBuffer?>

    /// A workspace with no buffers yet (a table of `Limits.threads` empty slots, 8 KB).
    public init() {
        slots = .allocate(capacity: Limits.threads)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    /// The buffer of `worker`, with room for at least `count` floats.
    public func floats(worker: Int, count: Int) -> UnsafeMutablePointer<Float> {
        precondition(slots.indices.contains(worker), "Workspace: worker \(worker) out of 0..<\(slots.count)")
        if let buffer = slots[worker] { return buffer.floats(count) }
        let buffer = ScratchBuffer()
        slots[worker] = buffer
        return buffer.floats(count)
    }
}
