import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An advisory lock on an output directory, held until `release()` or until the process ends:
/// a second process that would write the same directory (two `train` or `study run` with one
/// `--out`) stops at once with the holder's pid and host. The lock is `flock(2)` on
/// `DIRECTORY/.transferscope.lock`, which the kernel releases when the holder dies, so a lock
/// left by a killed run never blocks its restart. The file itself stays (removing it would let
/// a third process lock a different file of the same name).
public final class DirectoryLock: @unchecked Sendable {
    /// The lock file's name inside the locked directory; the file is never removed.
    public static let fileName = ".transferscope.lock"

    /// The locked directory, as given to `init`.
    public let directory: String
    private var descriptor: Int32

    /// Locks `directory` (which must exist); throws `OutputDirectoryError.busy` when another
    /// process holds it.
    public init(directory: String, purpose: String) throws {
        self.directory = directory
        let path = directory + "/" + Self.fileName
        // Never truncate what a planted link points to.
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else {
            throw OutputDirectoryError.cannotLock(path: path, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            var holder = Self.holder(descriptor)
            for _ in 0..<10 where busy && holder.isEmpty {  // the holder may not have written its line yet
                usleep(20_000)
                holder = Self.holder(descriptor)
            }
            close(descriptor)
            descriptor = -1
            if busy {
                throw OutputDirectoryError.busy(path: directory, holder: holder.isEmpty ? "holder unknown" : holder)
            }
            throw OutputDirectoryError.cannotLock(path: path, reason: reason)
        }
        let host = ProcessInfo.processInfo.hostName
        let line = "pid \(getpid()) on \(host), \(purpose), since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(descriptor, 0)
        _ = line.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    /// What the holder wrote: its pid, host, purpose and start (empty if it has not yet).
    private static func holder(_ descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        return count > 0
            ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
    }

    /// Releases the lock (also done when the object goes away or the process ends).
    public func release() {
        guard descriptor >= 0 else { return }
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
