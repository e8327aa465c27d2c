import Foundation
import Testing
import TransferscopeCore

@testable import TransferscopeData

/// Regression tests for the inputs that used to trap, allocate without bound or pass silently
/// (issue 15): each must now be an error that names the file or specification and the problem.
@Suite("Hostile data inputs are errors, not crashes")
struct HostileInputTests {
    /// An IDX file of unsigned bytes with these dimensions and values.
    static func idx(_ shape: [UInt32], values: [UInt8] = []) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
        for d in shape { bytes += [UInt8(d >> 24), UInt8((d >> 16) & 0xff), UInt8((d >> 8) & 0xff), UInt8(d & 0xff)] }
        return bytes + values
    }

    /// A version-1 `.npy` file with this dtype, shape and data.
    static func npy(_ descr: String, _ shape: String, _ data: [UInt8]) -> [UInt8] {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let length = header.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xff), UInt8(length >> 8)] + Array(header.utf8)
            + data
    }

    static func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in (0..<4).map { UInt8((v.bitPattern >> (8 * $0)) & 0xff) } }
    }
    static func int64s(_ values: [Int64]) -> [UInt8] {
        values.flatMap { v in (0..<8).map { UInt8((UInt64(bitPattern: v) >> (8 * UInt64($0))) & 0xff) } }
    }

    func message(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch { return error.localizedDescription }
    }

    @Test("IDX: a dimension product that overflows is refused before anything is allocated")
    func idxOverflow() throws {
        for shape: [UInt32] in [[0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff], [0xffff_ffff, 0xffff_ffff, 16]] {
            let text = message { try IDXReader.parse(Self.idx(shape), path: "big.idx") }
            #expect(text?.contains("big.idx") == true && text?.contains("beyond") == true, "\(text ?? "accepted")")
        }
    }

    @Test("IDX and NPY: zero-sized images are refused, naming the file")
    func zeroSizedImages() throws {
        let images = try IDXReader.parse(Self.idx([5, 0, 0]), path: "zero.idx")
        let labels = try IDXReader.parse(Self.idx([5], values: [0, 1, 0, 1, 0]), path: "labels.idx")
        let text = message {
            try IDXReader.dataset(
                images: images, labels: labels, imagesPath: "zero.idx", labelsPath: "labels.idx", name: "x")
        }
        #expect(text?.contains("zero.idx") == true && text?.contains("0x0 pixels") == true, "\(text ?? "accepted")")
        let npyImages = try NPYReader.parse(Self.npy("|u1", "(5, 0, 3)", []), path: "zero.npy")
        let npyLabels = try NPYReader.parse(Self.npy("<i8", "(5,)", Self.int64s([0, 1, 0, 1, 0])), path: "l.npy")
        let npyText = message {
            try NPYReader.dataset(
                images: npyImages, labels: npyLabels, imagesPath: "zero.npy", labelsPath: "l.npy", name: "x")
        }
        #expect(npyText?.contains("zero.npy") == true, "\(npyText ?? "accepted")")
    }

    @Test("NPY: a shape whose product overflows is refused")
    func npyOverflow() {
        let text = message { try NPYReader.parse(Self.npy("<f4", "(4294967296, 4294967296, 16)", []), path: "big.npy") }
        #expect(text?.contains("beyond") == true, "\(text ?? "accepted")")
    }

    @Test("NPY: a NaN or infinity anywhere in float32 images is an error, not a trap", arguments: [1, 7, 35])
    func npyNaN(at index: Int) throws {
        var values = [Float](repeating: 0.5, count: 36)
        values[index] = index == 7 ? .infinity : .nan
        let images = try NPYReader.parse(Self.npy("<f4", "(4, 3, 3)", Self.floats(values)), path: "nan.npy")
        let labels = try NPYReader.parse(Self.npy("<i8", "(4,)", Self.int64s([0, 1, 0, 1])), path: "l.npy")
        let text = message {
            try NPYReader.dataset(images: images, labels: labels, imagesPath: "nan.npy", labelsPath: "l.npy", name: "x")
        }
        #expect(text?.contains("nan.npy") == true && text?.contains("value \(index)") == true, "\(text ?? "accepted")")
    }

    @Test("Labels: 2^40, classes without images and a single class are refused; test labels beyond the classes too")
    func labels() throws {
        let images = try NPYReader.parse(Self.npy("|u1", "(4, 2, 2)", [UInt8](repeating: 9, count: 16)), path: "i.npy")
        func labels(_ values: [Int64]) throws -> RawArray {
            try NPYReader.parse(Self.npy("<i8", "(4,)", Self.int64s(values)), path: "l.npy")
        }
        for (values, fragment): ([Int64], String) in [
            ([0, 1, 0, 1 << 40], "beyond the 100000 classes"), ([0, 1, 0, 255], "have no image"),
            ([0, 0, 0, 0], "at least 2 classes"), ([0, 1, -1, 1], "negative"),
        ] {
            let text = message {
                try NPYReader.dataset(
                    images: images, labels: try labels(values), imagesPath: "i.npy", labelsPath: "l.npy", name: "x")
            }
            #expect(
                text?.contains("l.npy") == true && text?.contains(fragment) == true, "\(values): \(text ?? "accepted")")
        }
        let test = message {
            try NPYReader.dataset(
                images: images, labels: try labels([0, 1, 2, 1]), imagesPath: "i.npy", labelsPath: "l.npy", name: "x",
                classNames: ["a", "b"])
        }
        #expect(test?.contains("label 2 has no class") == true, "\(test ?? "accepted")")
    }

    @Test("float32 images reach the model exactly; the 8-bit pixels only approximate them")
    func floatImagesStayFloat() throws {
        let values: [Float] = (0..<16).map { Float($0) * 0.0123 + 0.001 }  // in [0, 1], not multiples of 1/255
        let images = try NPYReader.parse(Self.npy("<f4", "(4, 2, 2)", Self.floats(values)), path: "f.npy")
        let labels = try NPYReader.parse(Self.npy("<i8", "(4,)", Self.int64s([0, 1, 0, 1])), path: "l.npy")
        let dataset = try NPYReader.dataset(
            images: images, labels: labels, imagesPath: "f.npy", labelsPath: "l.npy", name: "x")
        let normalization = Normalization(mean: [0.25], standardDeviation: [0.5])
        let prepared = Preprocessing(side: 2, channels: 1, normalization: normalization).prepare(dataset)
        for (value, input) in zip(values, prepared.values) {
            #expect(input == (value * 255 / 255 - 0.25) / 0.5, "\(value) became \(input)")
        }
        // The same images at 8 bits differ by up to half a level: the float path must not be that.
        let quantized = values.map { (Float(UInt8(($0 * 255).rounded())) / 255 - 0.25) / 0.5 }
        #expect(zip(quantized, prepared.values).contains { abs($0 - $1) > 1e-3 })
        // Resizing and gray->RGB keep floats too: a constant image stays exactly constant.
        let constant = ImageDataset(
            name: "c", height: 2, width: 2, channels: 1, pixels: [UInt8](repeating: 26, count: 8),
            exactValues: [Float](repeating: 25.6, count: 8), labels: [0, 1], classNames: ["a", "b"])
        let resized = Preprocessing(side: 3, channels: 3, normalization: .identity(channels: 3)).prepare(constant)
        #expect(resized.values.allSatisfy { abs($0 - 25.6 / 255) < 1e-7 })
    }

    @Test("CSV: 20-digit cells, labels of 2^40 and one-column rows are errors naming the line")
    func csv() {
        for (text, fragment) in [
            ("1,2,3,99999999999999999999\n", "line 1, field 4"),
            ("0,0,0,0,1\n0,0,0,0,1099511627776\n", "line 2, field 5"),
            ("5\n6\n", "needs pixels and a label"), ("1,2,3,4,0\n1,2,3,4,1\n1,2,3,4,7\n", "have no image"),
        ] {
            let error = message { try CSVReader.parse(Array(text.utf8), path: "x.csv", name: "x") }
            #expect(
                error?.contains("x.csv") == true && error?.contains(fragment) == true, "\(text): \(error ?? "accepted")"
            )
        }
    }

    @Test(
        "Procedural specifications: values are integers (or a shift) in range, never NaN",
        arguments: [
            "side=nan", "side=inf", "side=1e300", "train=-5", "test=1e300", "test=0", "seed=-1", "classes=0",
            "channels=2", "shift=nan",
            "shift=2", "side=5000",
        ])
    func procedural(_ option: String) throws {
        let text = message { try DatasetSource(parsing: "procedural:" + option).load() }
        let key = String(option.prefix { $0 != "=" })
        #expect(
            text?.contains("procedural: \(option)") == true && text?.contains(key) == true,
            "\(option): \(text ?? "accepted")")
    }

    @Test("A training split without every class, or with one class, is refused")
    func classesWithoutTrainingImages() {
        let text = message { try DatasetSource(parsing: "procedural:train=5,test=10,side=8").load() }
        #expect(text?.contains("no image of class") == true, "\(text ?? "accepted")")
    }

    @Test("An exact subsample has the size asked for, even when per-class shares round down")
    func subsampleSize() throws {
        let data = try DatasetSource(parsing: "procedural:train=30,test=32,side=8").load().splits.test
        for count in [1, 4, 5, 13, 31] {
            #expect(Split.subsample(data, count: count, seed: 3, exact: true).count == count)
        }
    }

    @Test("Pickles of protocol 2 are refused with what to do (protocols 3 and 4 are read: the fuzz corpus seeds)")
    func pickleProtocols() throws {
        let text = message { try PickledArrayReader.parse([0x80, 0x02, 0x63, 0x2e], path: "old.pkl") }
        #expect(text?.contains("protocol 3 or later") == true, "\(text ?? "accepted")")
    }

    @Test("Devices, folders and gzip bombs are refused before they fill memory")
    func unboundedFiles() throws {
        for path in ["/dev/zero", NSTemporaryDirectory()] {
            let error = message { try FileBytes.read(path) }
            #expect(error?.contains("not a regular file") == true, "\(path): \(error ?? "accepted")")
        }
        // 1 MB of zeros gzips to about 1 kB; with a limit of 64 kB it must stop, not grow.
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let zeros = folder.file("zeros")
        FileManager.default.createFile(atPath: zeros, contents: Data(count: 1 << 20))
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", zeros]
        try gzip.run()
        gzip.waitUntilExit()
        let compressed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: zeros + ".gz")))
        #expect(compressed.count < 4096)
        let error = message { try Gzip.decompress(compressed, path: "bomb.gz", limit: 1 << 16) }
        #expect(error?.contains("bomb.gz") == true && error?.contains("size limit") == true, "\(error ?? "accepted")")
        #expect(try Gzip.decompress(compressed, path: "ok.gz", limit: 1 << 20).count == 1 << 20)
    }

    @Test("Normalization and preprocessing from files are validated: std 0, NaN, channel mismatch, side 0")
    func decodedPreprocessing() {
        for json in [
            #"{"mean":[0.5],"standardDeviation":[0]}"#, #"{"mean":[0.5],"standardDeviation":[-1]}"#,
            #"{"mean":[0.5,0.5],"standardDeviation":[1,1]}"#, #"{"mean":[],"standardDeviation":[]}"#,
        ] {
            #expect(throws: DataError.self, "\(json)") {
                try JSONDecoder().decode(Normalization.self, from: Data(json.utf8))
            }
        }
        for json in [
            #"{"side":0,"channels":1,"normalization":{"mean":[0],"standardDeviation":[1]},"resize":true}"#,
            #"{"side":28,"channels":3,"normalization":{"mean":[0],"standardDeviation":[1]},"resize":true}"#,
            #"{"side":1000000000,"channels":1,"normalization":{"mean":[0],"standardDeviation":[1]},"resize":true}"#,
        ] {
            #expect(throws: DataError.self, "\(json)") {
                try JSONDecoder().decode(Preprocessing.self, from: Data(json.utf8))
            }
        }
    }
}
