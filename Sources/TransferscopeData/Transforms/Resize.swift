/// Resampling of 8-bit images by area averaging: each output pixel is the mean of the input
/// area it covers (exact box filter, so downscaling does not alias; upscaling repeats pixels).
public enum Resize {
    /// `pixels` [height, width, channels] resampled to [toHeight, toWidth, channels].
    public static func area(
        _ pixels: ArraySlice<UInt8>, height: Int, width: Int, channels: Int, toHeight: Int, toWidth: Int
    ) -> [UInt8] {
        if height == toHeight && width == toWidth { return Array(pixels) }
        let base = pixels.startIndex
        let rows = weights(from: height, to: toHeight)
        let columns = weights(from: width, to: toWidth)
        var output = [UInt8](repeating: 0, count: toHeight * toWidth * channels)
        var sums = [Double](repeating: 0, count: channels)
        for oy in 0..<toHeight {
            for ox in 0..<toWidth {
                for c in 0..<channels { sums[c] = 0 }
                for (y, wy) in rows[oy] {
                    for (x, wx) in columns[ox] {
                        let w = wy * wx
                        let offset = base + (y * width + x) * channels
                        for c in 0..<channels { sums[c] += w * Double(pixels[offset + c]) }
                    }
                }
                for c in 0..<channels {
                    output[(oy * toWidth + ox) * channels + c] = UInt8(min(255, max(0, sums[c].rounded())))
                }
            }
        }
        return output
    }

    /// For each output index, the input indices it covers and their weights (summing to 1).
    static func weights(from size: Int, to newSize: Int) -> [[(Int, Double)]] {
        let scale = Double(size) / Double(newSize)
        return (0..<newSize).map { o in
            let start = Double(o) * scale
            let end = Double(o + 1) * scale
            var result: [(Int, Double)] = []
            var i = Int(start)
            while Double(i) < end && i < size {
                let overlap = min(end, Double(i + 1)) - max(start, Double(i))
                if overlap > 1e-12 { result.append((i, overlap / scale)) }
                i += 1
            }
            return result
        }
    }

    /// Fits the image inside [side, side] keeping its aspect ratio, centred, the rest filled with `fill`.
    public static func fitSquare(
        _ pixels: ArraySlice<UInt8>, height: Int, width: Int, channels: Int, side: Int, fill: UInt8
    ) -> [UInt8] {
        let scale = Double(side) / Double(max(height, width))
        let newHeight = max(1, min(side, Int((Double(height) * scale).rounded())))
        let newWidth = max(1, min(side, Int((Double(width) * scale).rounded())))
        let resized = area(pixels, height: height, width: width, channels: channels, toHeight: newHeight, toWidth: newWidth)
        var output = [UInt8](repeating: fill, count: side * side * channels)
        let top = (side - newHeight) / 2
        let left = (side - newWidth) / 2
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                for c in 0..<channels {
                    output[((top + y) * side + left + x) * channels + c] = resized[(y * newWidth + x) * channels + c]
                }
            }
        }
        return output
    }

    /// RGB to gray by ITU-R BT.601 luma (as PIL's `convert("L")`).
    public static func gray(fromRGB pixels: ArraySlice<UInt8>) -> [UInt8] {
        let base = pixels.startIndex
        return (0..<(pixels.count / 3)).map { p in
            let r = Int(pixels[base + 3 * p]), g = Int(pixels[base + 3 * p + 1]), b = Int(pixels[base + 3 * p + 2])
            return UInt8((r * 299 + g * 587 + b * 114 + 500) / 1000)
        }
    }
}
