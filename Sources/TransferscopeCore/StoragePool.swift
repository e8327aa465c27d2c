import Foundation

/// Recycles large tensor buffers: a training step frees its activations and the next step asks
/// for buffers of the same sizes, so they come back from here instead of from fresh pages (which
/// the kernel would have to fault in and zero). Buffers of 64 KB and more are pooled, by exact
/// size, up to `capacityBytes` in all.
final class StoragePool: @unchecked Sendable {
    static let shared = StoragePool()

    /// Smaller buffers go straight to malloc.
    static let minimumCount = 16 * 1024
    /// The most bytes kept for reuse.
    let capacityBytes = 4 << 30

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var pooledBytes = 0

    /// A 64-byte aligned buffer for `count` floats.
    func take(count: Int) -> UnsafeMutableRawPointer {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if count >= StoragePool.minimumCount {
            lock.lock()
            if let pointer = free[bytes]?.popLast() {
                pooledBytes -= bytes
                lock.unlock()
                return pointer
            }
            lock.unlock()
        }
        return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    }

    /// Gives back a buffer from `take(count:)`.
    func give(_ pointer: UnsafeMutableRawPointer, count: Int) {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if count >= StoragePool.minimumCount {
            lock.lock()
            if pooledBytes + bytes <= capacityBytes {
                free[bytes, default: []].append(pointer)
                pooledBytes += bytes
                lock.unlock()
                return
            }
            lock.unlock()
        }
        pointer.deallocate()
    }
}
