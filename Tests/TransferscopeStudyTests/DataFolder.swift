import Foundation
import TransferscopeData

/// A temporary folder for test data, removed by the caller with `remove`.
struct DataFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "transferscope-data-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` (a path inside the folder), creating its folders.
    func write(_ bytes: [UInt8], to name: String) throws {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
    }

    /// A `side x side` gray PNG whose pattern depends on `label` and `index` (no randomness).
    static func png(label: Int, index: Int, side: Int = 8) throws -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: side * side)
        for y in 0..<side {
            for x in 0..<side {
                // A bright band whose place is the class, plus a faint per-image ramp.
                let band = (x + label * 3) % side < 3 ? 200 : 20
                pixels[y * side + x] = UInt8((band + (x * y + index * 7) % 40) % 256)
            }
        }
        return try ImageCodec.encodePNG(pixels: pixels, width: side, height: side, channels: 1)
    }

    /// An ImageFolder under `name`: `classes` class folders `c0, c1, ...` of `perClass` PNGs each.
    func writeImageFolder(_ name: String, classes: Int, perClass: Int) throws {
        for label in 0..<classes {
            for index in 0..<perClass {
                try write(try Self.png(label: label, index: index), to: "\(name)/c\(label)/\(index).png")
            }
        }
    }

    /// Sets the modification time of `name` to `date`.
    func touch(_ name: String, to date: Date) throws {
        try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path + "/" + name)
    }

    func size(_ name: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path + "/" + name)[.size] as? Int ?? -1
    }
}
