import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What can go wrong creating or locking an output directory; each message names the directory.
public enum OutputDirectoryError: Error, LocalizedError, Equatable {
    case emptyPath
    case notADirectory(path: String)
    case cannotCreate(path: String, reason: String)
    case busy(path: String, holder: String)

    public var errorDescription: String? {
        switch self {
        case .emptyPath:
            return "the output directory is empty text; give a directory path (e.g. --out runs/my-run)."
        case let .notADirectory(path):
            return "\(path) is a file, not a directory. Give a directory (new or earlier) for the output."
        case let .cannotCreate(path, reason):
            return "cannot create the directory \(path): \(reason). Check that its parent exists and is writable."
        case let .busy(path, holder):
            return "\(path) is in use by another Transferscope process (\(holder)). Wait for it to finish, stop it, or use another output directory."
        }
    }
}

/// Output directories: created with clear errors, and locked for the life of the process
/// that writes them.
public enum OutputDirectory {
    /// Creates `path` (and its parents) unless it is already a directory.
    public static func create(_ path: String) throws {
        guard !path.trimmingCharacters(in: .whitespaces).isEmpty else { throw OutputDirectoryError.emptyPath }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw OutputDirectoryError.notADirectory(path: path) }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            // A parent that is a file, a read-only parent, ...: say which, in words.
            var parent = (path as NSString).deletingLastPathComponent
            while !parent.isEmpty, !FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory) {
                parent = (parent as NSString).deletingLastPathComponent
            }
            let reason: String
            if !parent.isEmpty, !isDirectory.boolValue {
                reason = "\(parent) is a file, not a directory"
            } else if !parent.isEmpty, !FileManager.default.isWritableFile(atPath: parent) {
                reason = "\(parent) is not writable"
            } else {
                reason = String(cString: strerror(errno))
            }
            throw OutputDirectoryError.cannotCreate(path: path, reason: reason)
        }
    }

    /// Creates `path` and takes its lock (see `DirectoryLock`).
    public static func createAndLock(_ path: String, purpose: String) throws -> DirectoryLock {
        try create(path)
        return try DirectoryLock(directory: path, purpose: purpose)
    }
}

/// An advisory lock on an output directory, held until `release()` or until the process ends:
/// a second process that would write the same directory (two `train` or `study run` with one
/// `--out`) stops at once with the holder's pid and host. The lock is `flock(2)` on
/// `DIRECTORY/.transferscope.lock`, which the kernel releases when the holder dies, so a lock
/// left by a killed run never blocks its restart. The file itself stays (removing it would let
/// a third process lock a different file of the same name).
public final class DirectoryLock: @unchecked Sendable {
    public static let fileName = ".transferscope.lock"

    public let directory: String
    private var descriptor: Int32

    /// Locks `directory` (which must exist); throws `OutputDirectoryError.busy` when another
    /// process holds it.
    public init(directory: String, purpose: String) throws {
        self.directory = directory
        let path = directory + "/" + Self.fileName
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw OutputDirectoryError.cannotCreate(path: path, reason: String(cString: strerror(errno)))
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
            if busy { throw OutputDirectoryError.busy(path: directory, holder: holder.isEmpty ? "holder unknown" : holder) }
            throw OutputDirectoryError.cannotCreate(path: path, reason: "cannot lock it: \(reason)")
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
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
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
