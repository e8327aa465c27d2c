import CImageCodecs
import Foundation
import TransferscopeCore
import TransferscopeIO

/// gzip decompression (zlib), for `.gz` datasets.
public enum Gzip {
    /// True when `bytes` start with the gzip magic number.
    public static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// The inflated contents of gzip `bytes`, at most `limit` bytes; `path` names the file in errors.
    public static func decompress(_ bytes: [UInt8], path: String, limit: Int = FileBytes.limit) throws -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: Int(TSC_MESSAGE_SIZE))
        let status = bytes.withUnsafeBufferPointer { input in
            tsc_gunzip(input.baseAddress, input.count, limit, &output, &size, &message)
        }
        guard status == 0, let output else {
            throw DataError.malformed(path: path, reason: "gzip: " + String(cString: message))
        }
        defer { tsc_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}

/// Reading whole data files (regular files only), gunzipping those that start with the gzip magic.
public enum FileBytes {
    /// The largest file, or inflated gzip contents, read: 8 bytes for each of `Limits.elements`
    /// values. A larger file, a device (`/dev/zero`) or a pipe is refused before it is read.
    public static let limit = 8 * Limits.elements

    /// The bytes of `path` (decompressed if it is gzip).
    public static func read(_ path: String) throws -> [UInt8] {
        let data: Data
        do { data = try RegularFile.contents(atPath: path, limit: limit) } catch let error as RegularFileError {
            throw DataError.unreadable(path: path, reason: error.reason)
        }
        let bytes = [UInt8](data)
        return Gzip.isCompressed(bytes) ? try Gzip.decompress(bytes, path: path) : bytes
    }
}
