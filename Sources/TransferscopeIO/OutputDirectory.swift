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
    case cannotLock(path: String, reason: String)

    /// What went wrong with which directory, and what to do about it.
    public var errorDescription: String? {
        switch self {
        case .emptyPath:
            return "the output directory is empty text; give a directory path (e.g. --out runs/my-run)."
        case .notADirectory(let path):
            return "\(path) is a file, not a directory. Give a directory (new or earlier) for the output."
        case .cannotCreate(let path, let reason):
            return "cannot create the directory \(path): \(reason). Check that its parent exists and is writable."
        case .cannotLock(let path, let reason):
            return "cannot take the lock \(path): \(reason). If it is a symbolic link or not a regular file, remove it."
        case .busy(let path, let holder):
            return
                "\(path) is in use by another Transferscope process (\(holder)). Wait for it to finish, stop it, "
                + "or use another output directory."
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
