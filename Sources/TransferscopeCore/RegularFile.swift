import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a path cannot be read as a data file; the reason is in words, for messages that name the path.
public struct RegularFileError: Error, Equatable {
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
        guard size <= limit else { throw RegularFileError(reason: "it has \(size) bytes, more than the \(limit) supported") }
        return size
    }
}
