import Foundation

/// What can go wrong writing a file; the message names the file and what to check.
public enum FileWriteError: Error, LocalizedError, Equatable {
    /// The file could not be written (a missing or read-only directory, a full disk).
    case unwritable(path: String, reason: String)

    /// The message for the user: the file that could not be written and what to check.
    public var errorDescription: String? {
        switch self {
        case .unwritable(let path, let reason):
            return "cannot write \(path): \(reason). "
                + "Check that the directory exists and is writable, and that the disk has room."
        }
    }
}

/// Writes files so that they are either absent, the old version, or the complete new version.
public enum AtomicFile {
    /// Writes `data` to a temporary file in `path`'s directory, flushes it, and renames it over `path`.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        do {
            try data.write(to: temporary)
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.synchronize()
            try handle.close()
            if rename(temporary.path, url.path) != 0 {
                throw FileWriteError.unwritable(path: path, reason: String(cString: strerror(errno)))
            }
        } catch let error as FileWriteError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            let reason = error.localizedDescription.trimmingCharacters(in: CharacterSet(charactersIn: ". "))
            throw FileWriteError.unwritable(path: path, reason: reason)
        }
    }
}
