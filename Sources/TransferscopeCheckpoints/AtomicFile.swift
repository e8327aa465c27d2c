import Foundation

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
                throw SafeTensorsError.unwritable(path: path, reason: String(cString: strerror(errno)))
            }
        } catch let error as SafeTensorsError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            let reason = error.localizedDescription.trimmingCharacters(in: CharacterSet(charactersIn: ". "))
            throw SafeTensorsError.unwritable(path: path, reason: reason)
        }
    }
}
