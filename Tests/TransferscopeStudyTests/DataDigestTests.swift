import Foundation
import Testing
import TransferscopeCore
import TransferscopeIO
import TransferscopeStudy

@testable import TransferscopeData

@Suite("Data content digests")
struct DataDigestTests {
    static func digest(_ specification: String) throws -> String {
        try DatasetSource(parsing: specification).contentDigest
    }

    @Test("An image folder's digest changes when an image is added, removed or rewritten, and only then")
    func imageFolder() throws {
        let folder = try DataFolder()
        defer { folder.remove() }
        try folder.writeImageFolder("shapes", classes: 2, perClass: 2)
        let specification = folder.path + "/shapes"
        let original = try Self.digest(specification)
        #expect(try Self.digest(specification) == original, "the same folder gave another digest")
        // Reading the images changes nothing; neither does a file the reader ignores.
        _ = try DatasetSource(parsing: specification).load()
        try folder.write(Array("notes".utf8), to: "shapes/c0/README.txt")
        #expect(try Self.digest(specification) == original)

        // Added, then removed again: the digest is the original's once the listing is.
        try folder.write(try DataFolder.png(label: 0, index: 9), to: "shapes/c0/9.png")
        let added = try Self.digest(specification)
        #expect(added != original)
        try FileManager.default.removeItem(atPath: specification + "/c0/9.png")
        #expect(try Self.digest(specification) == original)

        // Removed.
        let moved = folder.path + "/aside.png"
        try FileManager.default.moveItem(atPath: specification + "/c1/1.png", toPath: moved)
        let removed = try Self.digest(specification)
        #expect(removed != original && removed != added)
        try FileManager.default.moveItem(atPath: moved, toPath: specification + "/c1/1.png")
        #expect(try Self.digest(specification) == original, "moving a file back keeps its size and modification time")

        // Rewritten with another size.
        let before = try folder.size("shapes/c1/0.png")
        try folder.write(try DataFolder.png(label: 1, index: 0, side: 16), to: "shapes/c1/0.png")
        try #require(try folder.size("shapes/c1/0.png") != before)
        let resized = try Self.digest(specification)
        #expect(![original, added, removed].contains(resized))

        // The same bytes with another modification time.
        try folder.touch("shapes/c1/0.png", to: Date(timeIntervalSince1970: 1_000_000_000))
        let retouched = try Self.digest(specification)
        #expect(![original, added, removed, resized].contains(retouched))
        try folder.touch("shapes/c1/0.png", to: Date(timeIntervalSince1970: 1_000_000_001))
        #expect(try Self.digest(specification) != retouched)

        // A renamed class folder is another class.
        try FileManager.default.moveItem(atPath: specification + "/c1", toPath: specification + "/c2")
        #expect(try Self.digest(specification) != retouched)
    }

    @Test("A folder with train/ and test/ covers both splits")
    func splitFolder() throws {
        let folder = try DataFolder()
        defer { folder.remove() }
        try folder.writeImageFolder("pair/train", classes: 2, perClass: 2)
        try folder.writeImageFolder("pair/test", classes: 2, perClass: 1)
        let specification = folder.path + "/pair"
        let original = try Self.digest(specification)
        try folder.write(try DataFolder.png(label: 1, index: 5), to: "pair/test/c1/5.png")
        let grown = try Self.digest(specification)
        #expect(grown != original)
        try folder.write(try DataFolder.png(label: 1, index: 5), to: "pair/train/c1/5.png")
        #expect(try Self.digest(specification) != grown)
    }

    @Test(
        "A FORMAT:PATHS digest follows each file's size and modification time; a missing file does not crash it",
        arguments: ["idx", "npy", "csv"])
    func files(format: String) throws {
        let folder = try DataFolder()
        defer { folder.remove() }
        // The digest never reads the files, so any bytes stand in for the data.
        let names = format == "csv" ? ["train.csv", "test.csv"] : ["a", "b", "c", "d"]
        for name in names { try folder.write(Array(name.utf8), to: name) }
        let specification = format + ":" + names.map { folder.path + "/" + $0 }.joined(separator: ",")
        let original = try Self.digest(specification)
        #expect(try Self.digest(specification) == original)
        // Every file counts, the last one too.
        let last = try #require(names.last)
        try folder.write(Array("\(last) rewritten".utf8), to: last)
        let rewritten = try Self.digest(specification)
        #expect(rewritten != original)
        try folder.touch(names[0], to: Date(timeIntervalSince1970: 1_000_000_000))
        let touched = try Self.digest(specification)
        #expect(touched != rewritten && touched != original)
        try FileManager.default.removeItem(atPath: folder.path + "/" + names[0])
        let missing = try Self.digest(specification)
        #expect(![original, rewritten, touched].contains(missing))
        #expect(RegularFile.stamp(atPath: folder.path + "/" + names[0]) == "absent")
    }

    @Test("A procedural specification is its own digest")
    func procedural() throws {
        #expect(try Self.digest("procedural:seed=3,side=8") == "procedural:seed=3,side=8")
        #expect(
            try Self.digest("procedural:side=8,seed=3") == "procedural:seed=3,side=8",
            "the values in another order are the same data")
        #expect(try Self.digest("procedural:side=8,seed=4") != Self.digest("procedural:side=8,seed=3"))
    }

    @Test("A built-in dataset's digest is `not prepared` until it is, then follows its prepared files")
    func builtIn() throws {
        let folder = try DataFolder()
        defer { folder.remove() }
        let prepared = folder.path + "/prepared/clipart"
        #expect(DatasetSource.preparedDigest(name: "clipart", folder: prepared) == "clipart: not prepared")
        let small = ImageDataset(
            name: "clipart", height: 2, width: 2, channels: 1, pixels: [0, 1, 2, 3, 4, 5, 6, 7],
            labels: [0, 1], classNames: ["a", "b"])
        try FileManager.default.createDirectory(atPath: prepared, withIntermediateDirectories: true)
        try DatasetCache.save(small, to: prepared + "/test.safetensors")
        #expect(
            DatasetSource.preparedDigest(name: "clipart", folder: prepared) == "clipart: not prepared", "half prepared")
        try DatasetCache.save(small, to: prepared + "/train.safetensors")
        let first = DatasetSource.preparedDigest(name: "clipart", folder: prepared)
        #expect(first != "clipart: not prepared" && first.count == 32)
        #expect(DatasetSource.preparedDigest(name: "clipart", folder: prepared) == first)
        // Prepared again, with one image more.
        var larger = small
        larger.pixels += [8, 9, 10, 11]
        larger.labels.append(1)
        try DatasetCache.save(larger, to: prepared + "/train.safetensors")
        #expect(DatasetSource.preparedDigest(name: "clipart", folder: prepared) != first)
    }

    @Test("A study's data that cannot be found yet gets a digest that changes once it can")
    func notThereYet() throws {
        let folder = try DataFolder()
        defer { folder.remove() }
        var study = Study()
        study.source.data = "procedural:side=8"
        study.targets = [Study.Target(data: folder.path + "/later")]
        let absent = try #require(study.dataDigests()[folder.path + "/later"])
        #expect(absent.hasPrefix("unreadable: "))
        try folder.writeImageFolder("later", classes: 2, perClass: 1)
        let present = try #require(study.dataDigests()[folder.path + "/later"])
        #expect(try present != absent && present == Self.digest(folder.path + "/later"))
        #expect(study.dataDigests()["procedural:side=8"] == "procedural:side=8")
    }
}
