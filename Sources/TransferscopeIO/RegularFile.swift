import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a path cannot be read as a data file; the reason is in words, for messages that name the path.
public struct RegularFileError: Error, Equatable {
    /// Why, in words without the path (e.g. "no such file", "it has N bytes, more than the M supported").
    public let reason: String
}

/// Checks made before a whole file is read into memory: it must be a regular file (symbolic
/// links followed; a folder, a device such as /dev/zero or a pipe would never end) within a size.
public enum RegularFile {
    /// The size of the regular file at `path`; throws when there is none or it is larger than `limit`.
    public static func size(atPath path: String, limit: Int) throws -> Int {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw RegularFileError(reason: errno == ENOENT ? "no such file" : String(cString: strerror(errno)))
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw RegularFileError(reason: "it is not a regular file (a folder, device or pipe?)")
        }
        let size = Int(status.st_size)
        guard size <= limit else {
            throw RegularFileError(reason: "it has \(size) bytes, more than the \(limit) supported")
        }
        return size
    }

    /// The contents of the regular file at `path` (at most `limit` bytes), checked before reading.
    public static func contents(atPath path: String, limit: Int) throws -> Data {
        _ = try size(atPath: path, limit: limit)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RegularFileError(reason: "permission denied")
        }
        return data
    }

    /// What identifies the current contents of the file at `path` without reading it: its size
    /// and modification time (nanoseconds), as `SIZE bytes, modified SECONDS.NANOSECONDS`;
    /// symbolic links followed. `"absent"` when there is none, else why it cannot be examined.
    public static func stamp(atPath path: String) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else { return errno == ENOENT ? "absent" : String(cString: strerror(errno)) }
        #if canImport(Darwin)
            let modified = status.st_mtimespec
        #else
            let modified = status.st_mtim
        #endif
        let kind = status.st_mode & S_IFMT == S_IFREG ? "" : "not a regular file, "
        return
            "\(kind)\(status.st_size) bytes, modified "
            + "\(modified.tv_sec).\(String(format: "%09ld", Int(modified.tv_nsec)))"
    }
}
