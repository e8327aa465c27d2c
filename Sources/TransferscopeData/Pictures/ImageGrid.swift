import Foundation
import TransferscopeCore
import TransferscopeIO

/// A PNG of labelled sample images, so that a person can look at a dataset: one row per class,
/// its name on the left, `perClass` images chosen by `seed`, each scaled up `zoom` times.
public enum ImageGrid {
    /// The grid as RGB pixels and its size.
    public static func render(_ dataset: ImageDataset, perClass: Int = 8, zoom: Int = 2, seed: UInt64 = 0)
        -> (pixels: [UInt8], width: Int, height: Int)
    {
        let classes = dataset.classNames.count
        let cell = max(dataset.height, dataset.width) * zoom
        let gap = 4
        let scale = cell >= 40 ? 2 : 1
        let labelWidth = (dataset.classNames.map { BitmapFont.textWidth($0, scale: scale) }.max() ?? 0) + 2 * gap
        let width = labelWidth + perClass * (cell + gap) + gap
        let height = classes * (cell + gap) + gap
        var canvas = [UInt8](repeating: 255, count: width * height * 3)
        var label = [UInt8](repeating: 255, count: width * height)
        for (row, members) in Split.indicesByClass(dataset).enumerated() {
            var generator = RandomGenerator(seed: seed).derived(.gridRow(row))
            let chosen = Split.shuffle(members, generator: &generator).prefix(perClass)
            let top = gap + row * (cell + gap)
            BitmapFont.draw(
                dataset.classNames[row], into: &label, canvasWidth: width, x: gap,
                y: top + (cell - BitmapFont.height * scale) / 2, scale: scale, ink: 0)
            for (column, index) in chosen.enumerated() {
                blit(
                    dataset, index: index, zoom: zoom, into: &canvas, width: width,
                    left: labelWidth + column * (cell + gap), top: top)
            }
        }
        for p in 0..<(width * height) where label[p] == 0 {
            canvas[3 * p] = 0
            canvas[3 * p + 1] = 0
            canvas[3 * p + 2] = 0
        }
        return (canvas, width, height)
    }

    /// Copies image `index`, magnified `zoom` times (gray drawn as gray RGB), into an RGB canvas
    /// `width` pixels wide with its top-left corner at (left, top).
    static func blit(
        _ dataset: ImageDataset, index: Int, zoom: Int, into canvas: inout [UInt8], width: Int, left: Int, top: Int
    ) {
        let image = dataset.image(at: index)
        let base = image.startIndex
        for y in 0..<(dataset.height * zoom) {
            for x in 0..<(dataset.width * zoom) {
                let source = base + ((y / zoom) * dataset.width + x / zoom) * dataset.channels
                let target = ((top + y) * width + left + x) * 3
                for c in 0..<3 { canvas[target + c] = image[source + (dataset.channels == 3 ? c : 0)] }
            }
        }
    }

    /// Writes the grid of `dataset` as a PNG at `path` (atomically).
    public static func write(
        _ dataset: ImageDataset, to path: String, perClass: Int = 8, zoom: Int = 2, seed: UInt64 = 0
    ) throws {
        let grid = render(dataset, perClass: perClass, zoom: zoom, seed: seed)
        let png = try ImageCodec.encodePNG(pixels: grid.pixels, width: grid.width, height: grid.height, channels: 3)
        try writeFile(png, to: path)
    }
}

extension ImageGrid {
    /// A grid of the images at `indices`, `columns` per row, each with its caption (drawn in the
    /// 5x7 font under the image; keep captions short) as RGB pixels.
    public static func samples(
        _ dataset: ImageDataset, indices: [Int], captions: [String], columns: Int = 8, zoom: Int = 2
    ) -> (pixels: [UInt8], width: Int, height: Int) {
        precondition(
            indices.count == captions.count, "ImageGrid.samples: \(indices.count) images, \(captions.count) captions")
        let cell = max(dataset.height, dataset.width) * zoom
        let gap = 4
        let captionWidth = (captions.map { BitmapFont.textWidth($0, scale: 1) }.max() ?? 0)
        let cellWidth = max(cell, captionWidth) + 2 * gap
        let cellHeight = cell + BitmapFont.height + 2 * gap
        let rows = max(1, (indices.count + columns - 1) / columns)
        let width = max(1, min(columns, max(indices.count, 1)) * cellWidth + gap)
        let height = rows * cellHeight + gap
        var canvas = [UInt8](repeating: 255, count: width * height * 3)
        var text = [UInt8](repeating: 255, count: width * height)
        for (position, index) in indices.enumerated() {
            let left = gap + (position % columns) * cellWidth
            let top = gap + (position / columns) * cellHeight
            blit(dataset, index: index, zoom: zoom, into: &canvas, width: width, left: left, top: top)
            BitmapFont.draw(
                captions[position], into: &text, canvasWidth: width, x: left, y: top + cell + gap / 2, scale: 1, ink: 0)
        }
        for p in 0..<(width * height) where text[p] == 0 {
            canvas[3 * p] = 0
            canvas[3 * p + 1] = 0
            canvas[3 * p + 2] = 0
        }
        return (canvas, width, height)
    }

    /// Writes `samples(...)` as a PNG at `path` (atomically).
    public static func writeSamples(
        _ dataset: ImageDataset, indices: [Int], captions: [String], to path: String, columns: Int = 8, zoom: Int = 2
    ) throws {
        let grid = samples(dataset, indices: indices, captions: captions, columns: columns, zoom: zoom)
        let png = try ImageCodec.encodePNG(pixels: grid.pixels, width: grid.width, height: grid.height, channels: 3)
        try writeFile(png, to: path)
    }
}

/// Writes `bytes` atomically, creating the directory; errors name the file.
func writeFile(_ bytes: [UInt8], to path: String) throws {
    let directory = (path as NSString).deletingLastPathComponent
    do {
        if !directory.isEmpty { try OutputDirectory.create(directory) }
        try AtomicFile.write(Data(bytes), to: path)
    } catch let FileWriteError.unwritable(_, reason) {
        throw DataError.unwritable(path: path, reason: reason)
    } catch {
        throw DataError.unwritable(path: path, reason: error.localizedDescription)
    }
}
