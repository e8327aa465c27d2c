import Foundation
import Testing

@testable import TransferscopeData

/// Pixel value of fixture image n at (row y, column x): 10n + 5y + x (see make_fixtures.py).
private func expectedFixturePixels() -> [UInt8] {
    var pixels: [UInt8] = []
    for n in 0..<6 {
        for y in 0..<4 {
            for x in 0..<5 { pixels.append(UInt8(10 * n + 5 * y + x)) }
        }
    }
    return pixels
}

@Suite("Format readers")
struct ReaderTests {
    @Test("IDX images (plain) and labels (gzipped)")
    func idx() throws {
        let dataset = try IDXReader.read(
            images: Fixture.path("images-idx3-ubyte"), labels: Fixture.path("labels-idx1-ubyte.gz"), name: "fixture")
        #expect(dataset.imageShape == [4, 5, 1])
        #expect(dataset.pixels == expectedFixturePixels())
        #expect(dataset.labels == [0, 1, 2, 0, 1, 2])
        #expect(dataset.classNames == ["0", "1", "2"])
    }

    @Test("IDX: truncated, wrong magic and mismatched labels are errors naming the file")
    func idxErrors() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let good = try fixtureBytes("images-idx3-ubyte")
        try folder.write(Array(good.dropLast(7)), to: "short")
        try folder.write([1, 2, 3, 4] + good.dropFirst(4), to: "magic")
        try folder.write(Array(try fixtureBytes("labels-idx1-ubyte.gz").dropLast(9)), to: "labels.gz")
        for (name, fragment) in [("short", "truncated"), ("magic", "magic")] {
            let error = #expect(throws: DataError.self) { try IDXReader.readBytes(folder.file(name)) }
            #expect(error?.errorDescription?.contains(folder.file(name)) == true)
            #expect(error?.errorDescription?.contains(fragment) == true)
        }
        let error = #expect(throws: DataError.self) {
            try IDXReader.read(images: Fixture.path("images-idx3-ubyte"), labels: folder.file("labels.gz"), name: "x")
        }
        #expect(error?.errorDescription?.contains("labels.gz") == true)
    }

    @Test("NPY: uint8 and float32 images, int64 labels; Fortran order and truncation refused")
    func npy() throws {
        for images in ["images_u8.npy", "images_f32.npy"] {
            let dataset = try NPYReader.read(
                images: Fixture.path(images), labels: Fixture.path("labels_i64.npy"), name: "x")
            #expect(dataset.pixels == expectedFixturePixels(), "\(images)")
            #expect(dataset.labels == [0, 1, 2, 0, 1, 2])
        }
        let fortran = #expect(throws: DataError.self) { try NPYReader.read(Fixture.path("images_fortran.npy")) }
        #expect(fortran?.errorDescription?.contains("Fortran") == true)
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try folder.write(Array(try fixtureBytes("images_u8.npy").dropLast(3)), to: "cut.npy")
        let cut = #expect(throws: DataError.self) { try NPYReader.read(folder.file("cut.npy")) }
        #expect(cut?.errorDescription?.contains("cut.npy") == true)
    }

    @Test("CSV.gz with a header row: pixels then label")
    func csv() throws {
        let dataset = try CSVReader.read(Fixture.path("pixels.csv.gz"), name: "csv")
        #expect(dataset.imageShape == [2, 2, 1])
        #expect(dataset.pixels == [0, 64, 128, 255, 255, 128, 64, 0, 10, 20, 30, 40])
        #expect(dataset.labels == [1, 0, 1])
    }

    @Test("CSV: a bad value or ragged row names the line")
    func csvErrors() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try folder.write(Array("1,2,3,4,0\n1,2,x,4,1\n".utf8), to: "bad.csv")
        try folder.write(Array("1,2,3,4,0\n1,2,3,1\n".utf8), to: "ragged.csv")
        try folder.write(Array("1,2,3,300,0\n".utf8), to: "range.csv")
        for (name, fragment) in [("bad.csv", "line 2"), ("ragged.csv", "line 2"), ("range.csv", "0...255")] {
            let error = #expect(throws: DataError.self) { try CSVReader.read(folder.file(name), name: "x") }
            #expect(error?.errorDescription?.contains(fragment) == true, "\(name): \(error?.errorDescription ?? "")")
        }
    }

    @Test("NumPy pickles read without unpickling")
    func pickle() throws {
        let images = try PickledArrayReader.read(Fixture.path("array.pkl.gz"))
        #expect(images.dtype == "u1" && images.shape == [6, 4, 5])
        #expect(images.data == expectedFixturePixels())
        let labels = try PickledArrayReader.read(Fixture.path("labels.pkl.gz"))
        #expect(labels.dtype == "i8" && labels.shape == [6])
        #expect(LittleEndian.integers(labels.data, width: 8, signed: true) == [0, 1, 2, 0, 1, 2])
    }

    @Test("A pickle that would run code is refused, not executed")
    func hostilePickle() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        // protocol 2: GLOBAL 'os\nsystem', then a string, TUPLE1, REDUCE: what a malicious pickle does.
        let bytes: [UInt8] =
            [0x80, 0x02] + Array("cos\nsystem\n".utf8) + [0x55, 0x02] + Array("ls".utf8) + [0x85, 0x52, 0x2e]
        try folder.write(bytes, to: "evil.pkl")
        #expect(throws: DataError.self) { try PickledArrayReader.read(folder.file("evil.pkl")) }
    }

    @Test("gzip: corrupt and truncated streams are errors")
    func gzip() throws {
        let good = try fixtureBytes("labels-idx1-ubyte.gz")
        #expect(try Gzip.decompress(good, path: "x").count == 4 + 4 + 6)
        var badChecksum = good
        badChecksum[good.count - 8] ^= 0xff  // the CRC-32 of the trailer
        #expect(throws: DataError.self) { try Gzip.decompress(badChecksum, path: "crc.gz") }
        var badData = good
        for i in (good.count - 16)..<(good.count - 8) { badData[i] ^= 0x5a }  // the deflate stream
        #expect(throws: DataError.self) { try Gzip.decompress(badData, path: "corrupt.gz") }
        #expect(throws: DataError.self) { try Gzip.decompress(Array(good.prefix(good.count - 12)), path: "cut.gz") }
    }

    @Test("Dataset cache round trip")
    func cache() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let dataset = ProceduralDataset(side: 8, channels: 3, classes: 4, seed: 3).generate(count: 10, name: "p")
        try DatasetCache.save(dataset, to: folder.file("d.safetensors"))
        #expect(try DatasetCache.load(from: folder.file("d.safetensors")) == dataset)
        try folder.write(
            Array(try Data(contentsOf: URL(fileURLWithPath: folder.file("d.safetensors"))).dropLast(5)),
            to: "cut.safetensors")
        let error = #expect(throws: DataError.self) { try DatasetCache.load(from: folder.file("cut.safetensors")) }
        #expect(error?.errorDescription?.contains("cut.safetensors") == true)
    }

    @Test("Dataset sources parse and refuse bad specifications")
    func sources() throws {
        #expect(
            try DatasetSource(parsing: "procedural:shift=0.5,train=10") == .procedural(["shift": "0.5", "train": "10"]))
        #expect(try DatasetSource(parsing: "idx:a,b") == .idx(["a", "b"]))
        #expect(try DatasetSource(parsing: "fashion-mnist") == .builtIn("fashion-mnist"))
        #expect(throws: DataError.self) { try DatasetSource(parsing: "procedural:colour=red") }
        #expect(throws: DataError.self) { try DatasetSource(parsing: "npy:a,b,c") }
        let unknown = #expect(throws: DataError.self) { try DatasetSource(parsing: "no-such-dataset") }
        #expect(unknown?.errorDescription?.contains("fashion-mnist") == true)
        let splits = try DatasetSource(parsing: "procedural:side=12,train=30,test=20").load().splits
        #expect(splits.train.count == 30 && splits.test.count == 20 && splits.train.height == 12)
    }
}
