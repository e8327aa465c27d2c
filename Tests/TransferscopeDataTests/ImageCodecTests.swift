import Foundation
import Testing

@testable import TransferscopeData

@Suite("PNG and JPEG decoding, PNG encoding, image folders")
struct ImageCodecTests {
    @Test("PNG variants decode to RGBA; transparency composites on white")
    func png() throws {
        let rgba = try ImageCodec.decode(contentsOf: Fixture.path("rgba.png"))
        #expect(rgba.width == 3 && rgba.height == 2 && rgba.sourceChannels == 4)
        #expect(Array(rgba.pixels[0..<4]) == [255, 0, 0, 255])
        let white = rgba.overWhite()
        #expect(Array(white[9..<12]) == [255, 255, 255])  // alpha 0
        #expect(Array(white[12..<15]) == [127, 127, 127])  // black at alpha 128
        let gray = try ImageCodec.decode(contentsOf: Fixture.path("gray.png"))
        #expect(gray.sourceChannels == 1)
        #expect(stride(from: 0, to: 16, by: 4).map { gray.pixels[$0] } == [0, 100, 200, 255])
        let palette = try ImageCodec.decode(contentsOf: Fixture.path("palette.png"))
        #expect(palette.width == 3 && palette.height == 2 && palette.sourceChannels >= 3)
    }

    @Test("JPEG decodes (gray to RGBA)")
    func jpeg() throws {
        let image = try ImageCodec.decode(contentsOf: Fixture.path("gray.jpg"))
        #expect(image.width == 8 && image.height == 8 && image.sourceChannels == 1)
        #expect(
            image.pixels.enumerated().allSatisfy {
                $0.offset % 4 == 3 ? $0.element == 255 : abs(Int($0.element) - 128) <= 2
            })
    }

    @Test("Encoding then decoding a PNG gives the pixels back", arguments: [1, 3, 4])
    func roundTrip(channels: Int) throws {
        let pixels = (0..<(5 * 7 * channels)).map { UInt8(($0 * 37) % 256) }
        let png = try ImageCodec.encodePNG(pixels: pixels, width: 7, height: 5, channels: channels)
        let image = try ImageCodec.decode(png, path: "memory")
        #expect(image.width == 7 && image.height == 5)
        for p in 0..<35 {
            for c in 0..<3 {
                #expect(image.pixels[4 * p + c] == pixels[p * channels + (channels == 1 ? 0 : c)])
            }
        }
    }

    @Test("Corrupt or truncated images are errors naming the file, never a crash")
    func corrupt() throws {
        let png = try fixtureBytes("rgba.png")
        let jpeg = try fixtureBytes("gray.jpg")
        var badCRC = png
        badCRC[40] ^= 0xff
        let cases: [(String, [UInt8])] = [
            ("cut.png", Array(png.prefix(png.count / 2))), ("crc.png", badCRC), ("cut.jpg", Array(jpeg.prefix(40))),
            ("noise.png", [0x89, 0x50, 0x4e, 0x47] + Array(repeating: 7, count: 100)),
            ("text.jpg", Array("hello".utf8)), ("junk.jpg", [0xff, 0xd8] + Array(repeating: 0x41, count: 200)),
        ]
        for (name, bytes) in cases {
            let error = #expect(throws: DataError.self, "\(name)") { try ImageCodec.decode(bytes, path: name) }
            #expect(error?.errorDescription?.contains(name) == true)
        }
    }

    @Test("Image folders: classes from subfolders; a corrupt file stops the read or is skipped and counted")
    func folder() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        for (index, name) in ["cat", "dog"].enumerated() {
            for i in 0..<3 {
                let value = UInt8(40 * index + 10 * i)
                let png = try ImageCodec.encodePNG(
                    pixels: Array(repeating: value, count: 16 * 8), width: 16, height: 8, channels: 1)
                try folder.write(png, to: "root/\(name)/\(i).png")
            }
        }
        let result = try ImageFolderReader.read(folder.file("root"), name: "pets", side: 8)
        #expect(result.dataset.classNames == ["cat", "dog"])
        #expect(result.dataset.labels == [0, 0, 0, 1, 1, 1])
        #expect(result.dataset.channels == 1 && result.dataset.imageShape == [8, 8, 1])
        // 16x8 fitted into 8x8: rows 2...5 hold the image, the rest is white padding.
        let first = Array(result.dataset.image(at: 1))
        #expect(first[0] == 255 && first[2 * 8] == 10 && first[5 * 8 + 7] == 10 && first[6 * 8] == 255)

        try folder.write(Array(try fixtureBytes("rgba.png").prefix(30)), to: "root/dog/broken.png")
        let error = #expect(throws: DataError.self) {
            try ImageFolderReader.read(folder.file("root"), name: "pets", side: 8)
        }
        #expect(error?.errorDescription?.contains("broken.png") == true)
        let skipping = try ImageFolderReader.read(folder.file("root"), name: "pets", side: 8, skipCorrupt: true)
        #expect(skipping.dataset.count == 6 && skipping.skipped.count == 1)
        #expect(skipping.skipped.first?.path.hasSuffix("broken.png") == true)
        #expect(throws: DataError.self) { try ImageFolderReader.read(folder.file("missing"), name: "x", side: 8) }
    }
}
