import CImageCodecs
import Foundation
import TransferscopeCore
import TransferscopeIO

/// A decoded image: 8-bit RGBA.
public struct RGBAImage: Sendable {
    /// Columns, in pixels.
    public var width: Int
    /// Rows, in pixels.
    public var height: Int
    /// RGBA rows, top to bottom.
    public var pixels: [UInt8]
    /// Channels stored in the file: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    public var sourceChannels: Int

    /// The image composited over a white background (alpha 0 becomes white), as RGB.
    public func overWhite() -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) {
            let alpha = Int(pixels[4 * p + 3])
            for c in 0..<3 {
                let value = Int(pixels[4 * p + c])
                rgb[3 * p + c] = UInt8((value * alpha + 255 * (255 - alpha) + 127) / 255)
            }
        }
        return rgb
    }
}

/// PNG and JPEG decoding and PNG encoding (libpng, libjpeg-turbo).
public enum ImageCodec {
    /// Decodes PNG or JPEG bytes (told apart by their signature); `path` names the file in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> RGBAImage {
        var image = tsc_image()
        let isPNG = bytes.starts(with: [0x89, 0x50, 0x4e, 0x47])
        let isJPEG = bytes.starts(with: [0xff, 0xd8])
        guard isPNG || isJPEG else {
            throw DataError.malformed(path: path, reason: "neither a PNG nor a JPEG (unknown signature)")
        }
        let status = bytes.withUnsafeBufferPointer { input in
            isPNG
                ? tsc_decode_png(input.baseAddress, input.count, &image)
                : tsc_decode_jpeg(input.baseAddress, input.count, &image)
        }
        let message = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        guard status == 0, let pixels = image.pixels else {
            throw DataError.malformed(path: path, reason: (isPNG ? "PNG: " : "JPEG: ") + message)
        }
        defer { tsc_free(pixels) }
        let count = Int(image.width) * Int(image.height) * 4
        return RGBAImage(
            width: Int(image.width), height: Int(image.height),
            pixels: Array(UnsafeBufferPointer(start: pixels, count: count)),
            sourceChannels: Int(image.source_channels))
    }

    /// Reads and decodes the image file at `path`.
    public static func decode(contentsOf path: String) throws -> RGBAImage {
        let data: Data
        do { data = try RegularFile.contents(atPath: path, limit: 1 << 30) } catch let error as RegularFileError {
            throw DataError.unreadable(path: path, reason: error.reason)
        }
        return try decode([UInt8](data), path: path)
    }

    /// PNG bytes of `pixels` (`channels` 1, 3 or 4, rows top to bottom).
    public static func encodePNG(pixels: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
        precondition(
            pixels.count == width * height * channels,
            "encodePNG: \(pixels.count) values for \(width)x\(height)x\(channels)")
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: Int(TSC_MESSAGE_SIZE))
        let status = pixels.withUnsafeBufferPointer { input in
            tsc_encode_png(input.baseAddress, Int32(width), Int32(height), Int32(channels), &output, &size, &message)
        }
        guard status == 0, let output else {
            throw DataError.unsupported(path: "PNG", reason: String(cString: message))
        }
        defer { tsc_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }
}
