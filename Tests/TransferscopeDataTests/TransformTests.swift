import Foundation
import Testing
import TransferscopeCore

@testable import TransferscopeData

@Suite("Transforms, splits and batches")
struct TransformTests {
    @Test("Block shuffle: a permutation that moves whole blocks, inverted exactly", arguments: [1, 2, 4, 8])
    func blockShuffle(blockSize: Int) throws {
        let shuffle = try BlockShuffle(blockSize: blockSize, side: 8, channels: 3, seed: 5)
        #expect(shuffle.permutation.sorted() == Array(0..<(8 * 8 * 3)))
        let image = (0..<(8 * 8 * 3)).map { Float($0) }
        let shuffled = shuffle.apply(image)
        #expect(shuffle.invert(shuffled) == image)
        // Every output block is one input block, intact.
        let grid = 8 / blockSize
        for by in 0..<grid {
            for bx in 0..<grid {
                let origin = shuffle.permutation[((by * blockSize) * 8 + bx * blockSize) * 3]
                let (oy, ox) = ((origin / 3) / 8, (origin / 3) % 8)
                #expect(oy % blockSize == 0 && ox % blockSize == 0)
                for y in 0..<blockSize {
                    for x in 0..<blockSize {
                        for c in 0..<3 {
                            #expect(
                                shuffle.permutation[(((by * blockSize + y) * 8) + bx * blockSize + x) * 3 + c]
                                    == ((oy + y) * 8 + ox + x) * 3 + c)
                        }
                    }
                }
            }
        }
        if blockSize == 8 { #expect(shuffled == image) }
        if blockSize < 8 { #expect(shuffled != image) }
    }

    @Test("Block shuffle: one permutation per seed, the same for every image; bad sizes refused")
    func shuffleSeeds() throws {
        let a = try BlockShuffle(blockSize: 2, side: 8, channels: 1, seed: 1)
        let b = try BlockShuffle(blockSize: 2, side: 8, channels: 1, seed: 1)
        let c = try BlockShuffle(blockSize: 2, side: 8, channels: 1, seed: 2)
        #expect(a.permutation == b.permutation && a.permutation != c.permutation)
        let error = #expect(throws: DataError.self) { try BlockShuffle(blockSize: 3, side: 8, channels: 1, seed: 0) }
        #expect(error?.errorDescription?.contains("8, 4, 2, 1") == true)
        let pixel = BlockShuffle(pixelShuffleSide: 4, channels: 3, seed: 9)
        #expect(pixel.permutation.sorted() == Array(0..<48))
        // Channels are mixed by the pixel shuffle (some value leaves its channel).
        #expect(pixel.permutation.enumerated().contains { $0.offset % 3 != $0.element % 3 })
        // Decoding a configuration rebuilds the same permutation.
        let decoded = try JSONDecoder().decode(BlockShuffle.self, from: JSONEncoder().encode(a))
        #expect(decoded.permutation == a.permutation)
    }

    @Test("Preprocessing shuffles every image (train and test) with the same permutation after normalization")
    func preparedShuffle() throws {
        let dataset = ProceduralDataset(side: 8, channels: 1, classes: 3, seed: 1).generate(count: 6)
        let normalization = Normalization.statistics(of: dataset)
        let plain = Preprocessing(side: 8, channels: 1, normalization: normalization).prepare(dataset)
        let shuffle = try BlockShuffle(blockSize: 2, side: 8, channels: 1, seed: 4)
        let shuffled = Preprocessing(side: 8, channels: 1, normalization: normalization, shuffle: shuffle).prepare(
            dataset)
        for i in 0..<6 {
            let original = Array(plain.values[(i * 64)..<((i + 1) * 64)])
            #expect(Array(shuffled.values[(i * 64)..<((i + 1) * 64)]) == shuffle.apply(original))
        }
    }

    @Test("Normalization statistics give zero mean and unit deviation")
    func normalization() throws {
        let dataset = ProceduralDataset(side: 10, channels: 3, seed: 2).generate(count: 40)
        let prepared = Preprocessing(side: 10, channels: 3, normalization: .statistics(of: dataset)).prepare(dataset)
        for c in 0..<3 {
            let values = stride(from: c, to: prepared.values.count, by: 3).map { Double(prepared.values[$0]) }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            #expect(abs(mean) < 1e-4 && abs(variance - 1) < 1e-3)
        }
    }

    @Test("Gray <-> RGB and resizing")
    func conversion() throws {
        let gray = ImageDataset(
            name: "g", height: 4, width: 4, channels: 1, pixels: (0..<16).map { UInt8($0 * 10) }, labels: [0],
            classNames: ["a"])
        let rgb = Preprocessing(side: 4, channels: 3, normalization: .identity(channels: 3)).converted(gray)
        #expect(rgb.pixels == gray.pixels.flatMap { [$0, $0, $0] })
        let back = Preprocessing(side: 4, channels: 1, normalization: .identity(channels: 1)).converted(rgb)
        #expect(back.pixels == gray.pixels)
        let half = Preprocessing(side: 2, channels: 1, normalization: .identity(channels: 1)).converted(gray)
        // Area averaging: each output pixel is the mean of a 2x2 block.
        #expect(half.pixels == [25, 45, 105, 125])
        let padded = Preprocessing(side: 6, channels: 1, normalization: .identity(channels: 1), resize: false)
            .converted(gray)
        #expect(padded.pixels[0] == 0 && padded.pixels[7] == 0 && padded.pixels[8] == 10 && padded.pixels[35] == 0)
    }

    @Test("Augmentation depends only on (seed, epoch, index), not on the batch or its split across workers")
    func augmentation() throws {
        let dataset = ProceduralDataset(side: 8, channels: 3, seed: 1).generate(count: 16)
        let prepared = Preprocessing(side: 8, channels: 3, normalization: .statistics(of: dataset)).prepare(dataset)
        let augmentation = Augmentation(padding: 2, horizontalFlip: true)
        // A batch equals the images loaded one at a time: each image's draws ignore how the
        // batch is split across workers. (The global worker count is left alone: other suites run alongside.)
        let one = BatchLoader.batch(prepared, indices: [3, 7, 1, 12], augmentation: augmentation, seed: 9, epoch: 2)
            .inputs
        let singles = [3, 7, 1, 12].flatMap {
            BatchLoader.batch(prepared, indices: [$0], augmentation: augmentation, seed: 9, epoch: 2).inputs.scalars
        }
        #expect(one.scalars == singles)
        let otherEpoch = BatchLoader.batch(
            prepared, indices: [3, 7, 1, 12], augmentation: augmentation, seed: 9, epoch: 3
        ).inputs
        #expect(one != otherEpoch)
        // Each image against the definition: pad by 2 with the normalized value of a black pixel,
        // take the 8 x 8 window at (dy, dx), mirror it if drawn. Both flips and several offsets
        // must occur among the images, or the check would not cover them.
        let both = Augmentation(padding: 2, horizontalFlip: true)
        var flips = Set<Bool>()
        var offsets = Set<[Int]>()
        for index in 0..<16 {
            let (dy, dx, flip) = both.draw(seed: 9, epoch: 0, index: index)
            flips.insert(flip)
            offsets.insert([dy, dx])
            let image = Array(prepared.values[(index * 192)..<((index + 1) * 192)])
            var padded = [Float](repeating: 0, count: 12 * 12 * 3)
            for y in 0..<12 {
                for x in 0..<12 {
                    for c in 0..<3 {
                        let inside = (2..<10).contains(y) && (2..<10).contains(x)
                        padded[(y * 12 + x) * 3 + c] =
                            inside ? image[((y - 2) * 8 + x - 2) * 3 + c] : prepared.paddingValues[c]
                    }
                }
            }
            let batch = BatchLoader.batch(prepared, indices: [index], augmentation: both, seed: 9, epoch: 0).inputs
            for y in 0..<8 {
                for x in 0..<8 {
                    let column = flip ? 7 - x : x
                    for c in 0..<3 {
                        #expect(
                            batch[flat: (y * 8 + x) * 3 + c] == padded[((y + dy) * 12 + column + dx) * 3 + c],
                            "image \(index) (\(y), \(x))")
                    }
                }
            }
        }
        #expect(flips == [true, false] && offsets.count >= 8, "flips \(flips), \(offsets.count) offsets")
        #expect(prepared.paddingValues != [0, 0, 0], "the padding value must be told apart from a zero")
        #expect(BatchLoader.epochOrder(count: 50, seed: 1, epoch: 0).sorted() == Array(0..<50))
        #expect(
            BatchLoader.epochOrder(count: 50, seed: 1, epoch: 0) != BatchLoader.epochOrder(count: 50, seed: 1, epoch: 1)
        )
    }

    @Test("Stratified split, few-shot and subsample")
    func splits() throws {
        let dataset = ProceduralDataset(side: 8, classes: 5, seed: 1).generate(count: 100)
        let split = Split.stratified(dataset, testFraction: 0.2, seed: 3)
        #expect(split.train.count == 80 && split.test.count == 20)
        #expect(split.test.classCounts == [4, 4, 4, 4, 4])
        let trainImages = Set((0..<80).map { Array(split.train.image(at: $0)) })
        #expect((0..<20).allSatisfy { !trainImages.contains(Array(split.test.image(at: $0))) })
        #expect(Split.stratified(dataset, testFraction: 0.2, seed: 3) == split)
        #expect(Split.perClass(dataset, count: 3, seed: 0).classCounts == [3, 3, 3, 3, 3])
        #expect(Split.subsample(dataset, count: 50, seed: 0).classCounts == [10, 10, 10, 10, 10])
    }

    @Test("Procedural data is a function of its seed")
    func procedural() throws {
        let a = ProceduralDataset(side: 12, channels: 3, shift: 0.5, seed: 7).generate(count: 20)
        let b = ProceduralDataset(side: 12, channels: 3, shift: 0.5, seed: 7).generate(count: 20)
        let c = ProceduralDataset(side: 12, channels: 3, shift: 0.5, seed: 8).generate(count: 20)
        #expect(a == b && a != c)
        #expect(a.labels == (0..<20).map { $0 % 10 })
    }

    @Test("Hershey glyphs parse (pen-up included) and the sample grid has one row per class")
    func hersheyAndGrid() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        // A 'T': margins, one horizontal stroke, pen up, one vertical stroke.
        try folder.write(Array("12345  6JZJFZF RRFR[\n".utf8), to: "t.jhf")
        let glyphs = try HersheyDigits.parse(folder.file("t.jhf"))
        #expect(glyphs.count == 1 && glyphs[0].strokes.count == 2)
        #expect(glyphs[0].strokes[0].map(\.x) == [-8, 8] && glyphs[0].strokes[1].map(\.y) == [-12, 9])
        let dataset = ProceduralDataset(side: 8, classes: 3).generate(count: 9)
        let grid = ImageGrid.render(dataset, perClass: 2, zoom: 2)
        #expect(grid.height == 3 * (16 + 4) + 4 && grid.pixels.count == grid.width * grid.height * 3)
        #expect(grid.pixels.contains(0))
    }

    @Test("The centre crop keeps torchvision's centred square: exact when no resizing is needed, either orientation")
    func centerCrop() {
        // 8 x 16, shorter side 8 = 4 / 0.5: no resizing, the crop starts at row 2 and column 6.
        let wide = (0..<(8 * 16)).map { UInt8($0) }
        let crop = Resize.centerCrop(wide[...], height: 8, width: 16, channels: 1, side: 4, fraction: 0.5)
        #expect(crop == (2..<6).flatMap { y in (6..<10).map { x in UInt8(y * 16 + x) } })
        // The same image standing up: 16 x 8, the crop starts at row 6 and column 2.
        let tall = (0..<(16 * 8)).map { UInt8($0) }
        let upright = Resize.centerCrop(tall[...], height: 16, width: 8, channels: 1, side: 4, fraction: 0.5)
        #expect(upright == (6..<10).flatMap { y in (2..<6).map { x in UInt8(y * 8 + x) } })
        // torchvision's 256 -> 224 on a 375 x 500 RGB photo: 224 x 224 x 3 values, the middle column kept.
        let photo: [UInt8] = (0..<(375 * 500)).flatMap { i -> [UInt8] in [i % 500 < 250 ? 0 : 255, 0, 0] }
        let fitted = Resize.centerCrop(photo[...], height: 375, width: 500, channels: 3, side: 224, fraction: 0.875)
        #expect(fitted.count == 224 * 224 * 3)
        #expect(fitted[(100 * 224 + 100) * 3] == 0 && fitted[(100 * 224 + 124) * 3] == 255)
    }

}
