import Foundation

extension SafeTensors {
    /// The metadata and every tensor's shape of the safetensors file at `path`, read from its
    /// header alone (one small read, whatever the size of the tensors): what a dataset cache holds
    /// can be known without reading its images. The header is checked as `init(contentsOf:)` checks it.
    public static func shapes(ofFileAt path: String) throws -> (metadata: [String: String], shapes: [String: [Int]]) {
        let fileSize: Int
        do { fileSize = try RegularFile.size(atPath: path, limit: 8 * Limits.elements) } catch let error
            as RegularFileError
        {
            throw SafeTensorsError.unreadable(path: path, reason: error.reason)
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SafeTensorsError.unreadable(path: path, reason: "permission denied")
        }
        defer { try? handle.close() }
        do {
            let prefix = try handle.read(upToCount: 8) ?? Data()
            let headerLength = try headerLength([UInt8](prefix), fileSize: max(fileSize, prefix.count), path: path)
            let headerData = try handle.read(upToCount: headerLength) ?? Data()
            guard headerData.count == headerLength else {
                throw SafeTensorsError.malformed(path: path, reason: "the file ends inside its header")
            }
            let (metadata, entries) = try parseHeader(headerData, dataLength: fileSize - 8 - headerLength, path: path)
            return (metadata, Dictionary(entries.map { ($0.name, $0.shape) }) { first, _ in first })
        } catch let error as SafeTensorsError {
            throw error
        } catch {
            throw SafeTensorsError.unreadable(path: path, reason: error.localizedDescription)
        }
    }
}
