/// Resampling of images by area averaging: each output pixel is the mean of the input area it
/// covers (exact box filter, so downscaling does not alias; upscaling repeats pixels).
public enum Resize {
    /// `pixels` [height, width, channels] resampled to [toHeight, toWidth, channels].
    public static func area<Value: PixelValue>(
        _ pixels: ArraySlice<Value>, height: Int, width: Int, channels: Int, toHeight: Int, toWidth: Int
    ) -> [Value] {
        if height == toHeight && width == toWidth { return Array(pixels) }
        let base = pixels.startIndex
        let rows = weights(from: height, to: toHeight)
        let columns = weights(from: width, to: toWidth)
        var output = [Value](repeating: Value(resampled: 0), count: toHeight * toWidth * channels)
        var sums = [Double](repeating: 0, count: channels)
        for oy in 0..<toHeight {
            for ox in 0..<toWidth {
                for c in 0..<channels { sums[c] = 0 }
                for (y, wy) in rows[oy] {
                    for (x, wx) in columns[ox] {
                        let w = wy * wx
                        let offset = base + (y * width + x) * channels
                        for c in 0..<channels { sums[c] += w * pixels[offset + c].sampleValue }
                    }
                }
                for c in 0..<channels {
                    output[(oy * toWidth + ox) * channels + c] = Value(resampled: sums[c])
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
    public static func fitSquare<Value: PixelValue>(
        _ pixels: ArraySlice<Value>, height: Int, width: Int, channels: Int, side: Int, fill: Value
    ) -> [Value] {
        let scale = Double(side) / Double(max(height, width))
        let newHeight = max(1, min(side, Int((Double(height) * scale).rounded())))
        let newWidth = max(1, min(side, Int((Double(width) * scale).rounded())))
        let resized = area(
            pixels, height: height, width: width, channels: channels, toHeight: newHeight, toWidth: newWidth)
        var output = [Value](repeating: fill, count: side * side * channels)
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

    /// torchvision's evaluation transform, `Resize(round(side / fraction))` then
    /// `CenterCrop(side)`: the shorter side scaled (area) to `round(side / fraction)`, the longer
    /// one in proportion, and the centred `side x side` square kept. `fraction` 0.875 is
    /// torchvision's ImageNet 256 -> 224; 1 keeps the whole shorter side.
    public static func centerCrop<Value: PixelValue>(
        _ pixels: ArraySlice<Value>, height: Int, width: Int, channels: Int, side: Int, fraction: Double
    ) -> [Value] {
        let shorter = max(side, Int((Double(side) / fraction).rounded()))
        let scale = Double(shorter) / Double(min(height, width))
        let newHeight = height <= width ? shorter : max(side, Int((Double(height) * scale).rounded()))
        let newWidth = width < height ? shorter : max(side, Int((Double(width) * scale).rounded()))
        let resized = area(
            pixels, height: height, width: width, channels: channels, toHeight: newHeight, toWidth: newWidth)
        // torchvision's CenterCrop: the offset rounded from (size - side) / 2.
        let top = Int((Double(newHeight - side) / 2).rounded())
        let left = Int((Double(newWidth - side) / 2).rounded())
        var output = [Value]()
        output.reserveCapacity(side * side * channels)
        for y in 0..<side {
            let start = ((top + y) * newWidth + left) * channels
            output += resized[start..<(start + side * channels)]
        }
        return output
    }

    /// RGB to gray by ITU-R BT.601 luma (8-bit: as PIL's `convert("L")`).
    public static func gray<Value: PixelValue>(fromRGB pixels: ArraySlice<Value>) -> [Value] {
        let base = pixels.startIndex
        return (0..<(pixels.count / 3)).map { p in
            Value.luma(red: pixels[base + 3 * p], green: pixels[base + 3 * p + 1], blue: pixels[base + 3 * p + 2])
        }
    }
}
