import Foundation

/// The entries of a zip archive whose entries are stored (not compressed), as torch.save writes
/// them, found through the central directory; every offset and size is checked against the bytes.
///
/// Layout (PKWARE APPNOTE 6.3): local headers, each followed by its data; the central directory
/// (one 46-byte record plus name, extra field and comment per entry); optionally the Zip64 end
/// record and its locator; the 22-byte end-of-central-directory record plus a comment of at most
/// 65,535 bytes. torch >= 2 writes the Zip64 records even for small files and sets flag bit 3
/// (sizes in a data descriptor), so the local headers' sizes are zero and only the central
/// directory's are used. Cost: one backward scan of at most 65,557 bytes, then linear in the directory.
struct StoredZipArchive {
    /// Each entry's data, as a range of the archive's bytes, by name.
    let entries: [String: Range<Int>]

    /// Reads the central directory of `bytes`; `path` names the file in errors.
    init(bytes: [UInt8], path: String) throws {
        let reader = ZipReader(bytes: bytes, path: path)
        let end = try reader.endRecord()
        var position = end.directoryOffset
        let directoryEnd = end.directoryOffset + end.directorySize
        var entries: [String: Range<Int>] = [:]
        for index in 0..<end.entryCount {
            let record = try reader.centralRecord(at: position, end: directoryEnd, index: index)
            guard entries[record.name] == nil else { throw reader.malformed("it has two entries named \(record.name)") }
            entries[record.name] = try reader.data(of: record, before: end.directoryOffset)
            position = record.next
        }
        self.entries = entries
    }
}

/// One record of the central directory: what the archive says about one entry.
private struct CentralRecord {
    var name: String
    /// Where the name's bytes are, to compare with the local header's.
    var nameBytes: Range<Int>
    var flags: Int
    var method: Int
    var compressedSize: Int
    var size: Int
    var localHeaderOffset: Int
    /// Where the next record begins.
    var next: Int
}

/// Bounds-checked little-endian reads of a zip archive's records.
private struct ZipReader {
    let bytes: [UInt8]
    let path: String

    static let endSignature: UInt64 = 0x0605_4b50
    static let zip64EndSignature: UInt64 = 0x0606_4b50
    static let zip64LocatorSignature: UInt64 = 0x0706_4b50
    static let centralSignature: UInt64 = 0x0201_4b50
    static let localSignature: UInt64 = 0x0403_4b50

    func malformed(_ reason: String) -> PyTorchFileError { .malformedArchive(path: path, reason: reason) }
    func unsupported(_ reason: String) -> PyTorchFileError { .unsupportedArchive(path: path, reason: reason) }

    /// The `width`-byte little-endian number at `offset`, or nil when it lies outside the bytes.
    func number(at offset: Int, width: Int) -> UInt64? {
        guard offset >= 0, width <= bytes.count, offset <= bytes.count - width else { return nil }
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value
    }

    /// The `width`-byte number at `offset` as an Int; throws naming `what` when outside the bytes or beyond Int.
    func integer(at offset: Int, width: Int, _ what: String) throws -> Int {
        guard let value = number(at: offset, width: width), let result = Int(exactly: value) else {
            throw malformed("\(what) lies outside the file's \(bytes.count) bytes (truncated?)")
        }
        return result
    }

    /// Where the archive's directory is and how many entries it has, from the end record (and
    /// the Zip64 end record where there is one; the two must agree where both have a value).
    func endRecord() throws -> (directoryOffset: Int, directorySize: Int, entryCount: Int) {
        let fixed = 22
        guard bytes.count >= fixed else {
            throw malformed("it has \(bytes.count) bytes, too few for a zip archive (truncated?)")
        }
        // The end record is the last 22 bytes unless the archive has a comment after it.
        var end: Int?
        for candidate in stride(from: bytes.count - fixed, through: max(0, bytes.count - fixed - 0xffff), by: -1)
        where bytes[candidate] == 0x50 && number(at: candidate, width: 4) == Self.endSignature {
            if let comment = number(at: candidate + 20, width: 2), candidate + fixed + Int(comment) <= bytes.count {
                end = candidate
                break
            }
        }
        guard let end else {
            throw malformed("it has no zip end-of-central-directory record (the file is truncated, or not a zip)")
        }
        let disk = try integer(at: end + 4, width: 2, "the end record")
        let directoryDisk = try integer(at: end + 6, width: 2, "the end record")
        var count = try integer(at: end + 10, width: 2, "the end record")
        var size = try integer(at: end + 12, width: 4, "the end record")
        var offset = try integer(at: end + 16, width: 4, "the end record")
        guard disk == 0, directoryDisk == 0 || directoryDisk == 0xffff else {
            throw unsupported("it spans several disks")
        }
        var directoryLimit = end
        let locator = end - 20
        if locator >= 0, number(at: locator, width: 4) == Self.zip64LocatorSignature {
            let record = try integer(at: locator + 8, width: 8, "the Zip64 end record's offset")
            guard record <= locator - 56, number(at: record, width: 4) == Self.zip64EndSignature else {
                throw malformed("its Zip64 locator points to byte \(record), where there is no Zip64 end record")
            }
            let count64 = try integer(at: record + 32, width: 8, "the Zip64 end record")
            let size64 = try integer(at: record + 40, width: 8, "the Zip64 end record")
            let offset64 = try integer(at: record + 48, width: 8, "the Zip64 end record")
            guard count == 0xffff || count == count64, size == 0xffff_ffff || size == size64,
                offset == 0xffff_ffff || offset == offset64
            else {
                throw malformed("its end record and Zip64 end record disagree on the central directory")
            }
            (count, size, offset) = (count64, size64, offset64)
            directoryLimit = record
        } else if count == 0xffff || size == 0xffff_ffff || offset == 0xffff_ffff {
            throw malformed("its end record asks for a Zip64 end record, and there is none")
        }
        guard offset <= directoryLimit, size <= directoryLimit - offset else {
            throw malformed(
                "its central directory (\(size) bytes at byte \(offset)) does not end before the end record at "
                    + "byte \(directoryLimit) (truncated, or the offset is damaged)")
        }
        guard count <= size / 46 else {
            throw malformed("its central directory of \(size) bytes cannot hold the \(count) entries it claims")
        }
        return (offset, size, count)
    }

    /// The central directory record at `position`, which must end by `end`.
    func centralRecord(at position: Int, end: Int, index: Int) throws -> CentralRecord {
        let what = "central directory record \(index)"
        guard position <= end - 46, number(at: position, width: 4) == Self.centralSignature else {
            throw malformed("\(what) is not where the directory says (damaged central directory)")
        }
        let nameLength = try integer(at: position + 28, width: 2, what)
        let extraLength = try integer(at: position + 30, width: 2, what)
        let commentLength = try integer(at: position + 32, width: 2, what)
        let next = position + 46 + nameLength + extraLength + commentLength
        guard next <= end else { throw malformed("\(what) runs past the end of the central directory") }
        let nameBytes = (position + 46)..<(position + 46 + nameLength)
        var record = CentralRecord(
            name: String(decoding: bytes[nameBytes], as: UTF8.self), nameBytes: nameBytes,
            flags: try integer(at: position + 8, width: 2, what),
            method: try integer(at: position + 10, width: 2, what),
            compressedSize: try integer(at: position + 20, width: 4, what),
            size: try integer(at: position + 24, width: 4, what),
            localHeaderOffset: try integer(at: position + 42, width: 4, what), next: next)
        try readZip64Extra(into: &record, extra: nameBytes.upperBound..<(nameBytes.upperBound + extraLength))
        return record
    }

    /// Replaces the record's saturated 32-bit sizes and offset (0xffffffff) by the Zip64 extra
    /// field's 64-bit values, which come in the order size, compressed size, offset, each only if saturated.
    func readZip64Extra(into record: inout CentralRecord, extra: Range<Int>) throws {
        let saturated = 0xffff_ffff
        let wanted = [record.size, record.compressedSize, record.localHeaderOffset].filter { $0 == saturated }.count
        guard wanted > 0 else { return }
        var position = extra.lowerBound
        while position + 4 <= extra.upperBound {
            let tag = try integer(at: position, width: 2, "an extra field of \(record.name)")
            let length = try integer(at: position + 2, width: 2, "an extra field of \(record.name)")
            guard position + 4 + length <= extra.upperBound else { break }
            if tag == 1, length >= 8 * wanted {
                var field = position + 4
                func next() throws -> Int {
                    defer { field += 8 }
                    return try integer(at: field, width: 8, "the Zip64 field of \(record.name)")
                }
                if record.size == saturated { record.size = try next() }
                if record.compressedSize == saturated { record.compressedSize = try next() }
                if record.localHeaderOffset == saturated { record.localHeaderOffset = try next() }
                return
            }
            position += 4 + length
        }
        throw malformed("\(record.name) has 32-bit sizes that ask for a Zip64 extra field, and there is none")
    }

    /// The bytes of `record`'s data: after its local header, which must lie before the directory at `limit`.
    func data(of record: CentralRecord, before limit: Int) throws -> Range<Int> {
        if record.flags & 1 != 0 { throw unsupported("\(record.name) is encrypted") }
        guard record.method == 0 else {
            let kind = record.method == 8 ? " (deflate)" : ""
            throw unsupported("\(record.name) is compressed with method \(record.method)\(kind), not stored")
        }
        guard record.compressedSize == record.size else {
            throw malformed("\(record.name) is stored but its sizes differ (\(record.compressedSize), \(record.size))")
        }
        let header = record.localHeaderOffset
        guard header <= limit - 30, number(at: header, width: 4) == Self.localSignature else {
            throw malformed("\(record.name)'s local header is not at byte \(header), where the directory says")
        }
        let nameLength = try integer(at: header + 26, width: 2, "the local header of \(record.name)")
        let extraLength = try integer(at: header + 28, width: 2, "the local header of \(record.name)")
        let start = header + 30 + nameLength + extraLength
        guard start <= limit, record.size <= limit - start else {
            throw malformed(
                "\(record.name)'s \(record.size) bytes at byte \(start) run into the central directory (damaged)")
        }
        guard bytes[(header + 30)..<(header + 30 + nameLength)].elementsEqual(bytes[record.nameBytes]) else {
            throw malformed("\(record.name)'s local header names another entry")
        }
        return start..<(start + record.size)
    }
}
