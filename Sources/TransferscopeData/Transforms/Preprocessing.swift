import TransferscopeCore
import TransferscopeIO

/// Images converted to the model's input: one size and channel count, scaled and normalized,
/// optionally block-shuffled; held as floats [N, side, side, C] so batches are plain copies.
public struct PreparedImages: Sendable {
    /// The side of every (square) image, in pixels.
    public var side: Int
    /// C: channels of every image (1 or 3).
    public var channels: Int
    /// The model inputs, [count, side, side, C] row-major, normalized (and block-shuffled if asked).
    public var values: [Float]
    /// Class index of each image, in `0..<classNames.count`.
    public var labels: [Int]
    /// Name of each class, indexed by label, as in the source dataset.
    public var classNames: [String]
    /// The value a pixel of raw 0 takes after normalization, per channel (the crop padding).
    public var paddingValues: [Float]

    /// Number of images.
    public var count: Int { labels.count }
    /// Values per image: side * side * C.
    public var imageSize: Int { side * side * channels }
}

/// How raw images become model inputs: gray <-> RGB, resize (area) or pad to `side`, scale to
/// [0, 1], normalize, then (analysis 1) permute blocks with one fixed permutation.
public struct Preprocessing: Codable, Sendable, Equatable {
    /// The side every image is resized or padded to, in pixels.
    public var side: Int
    /// C: the channel count images are converted to (1 gray, 3 RGB).
    public var channels: Int
    /// Per-channel mean and deviation applied after scaling to [0, 1]; one entry per channel.
    public var normalization: Normalization
    /// Resize to `side` (true) or, when the image is smaller, pad it centred with zeros (false).
    public var resize: Bool
    /// The block shuffle of analysis 1, applied last; nil for unshuffled images.
    public var shuffle: BlockShuffle?

    /// A pipeline as given; traps unless `normalization` has one entry per channel (files: `validate()`).
    public init(
        side: Int, channels: Int, normalization: Normalization, resize: Bool = true, shuffle: BlockShuffle? = nil
    ) {
        precondition(
            normalization.mean.count == channels,
            "Preprocessing: normalization for \(normalization.mean.count) channels, not \(channels)")
        self.side = side
        self.channels = channels
        self.normalization = normalization
        self.resize = resize
        self.shuffle = shuffle
    }

    /// Checks what a file may get wrong: the side within `Limits.imageSide`, 1 or 3 channels,
    /// and a valid normalization for that many channels.
    public func validate() throws {
        guard (1...Limits.imageSide).contains(side), channels == 1 || channels == 3 else {
            throw DataError.invalidSpecification(
                "input \(side)x\(side)x\(channels): the side must lie in 1...\(Limits.imageSide) and the "
                    + "channels be 1 or 3"
            )
        }
        try normalization.validate()
        guard normalization.mean.count == channels else {
            throw DataError.invalidSpecification(
                "normalization for \(normalization.mean.count) channels, but the input has \(channels)")
        }
        if let shuffle, shuffle.side != side || shuffle.channels != channels {
            throw DataError.invalidSpecification(
                "a block shuffle of \(shuffle.side)x\(shuffle.side)x\(shuffle.channels) images for "
                    + "\(side)x\(side)x\(channels) inputs"
            )
        }
    }

    /// Checks that `dataset` prepared at this size fits `Limits.elements` values (a large side
    /// from a checkpoint or a flag times many images would otherwise be terabytes).
    public func checkSize(of dataset: ImageDataset) throws {
        guard let values = Limits.product([dataset.count, side, side, channels]), values <= Limits.elements else {
            throw DataError.invalidSpecification(
                "\(dataset.count) images of \(dataset.name) at \(side)x\(side)x\(channels) would be more than "
                    + "the \(Limits.elements) values supported; use a smaller image side or fewer images"
            )
        }
    }

    enum CodingKeys: String, CodingKey { case side, channels, normalization, resize, shuffle }

    /// Decodes and validates.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        side = try container.decode(Int.self, forKey: .side)
        channels = try container.decode(Int.self, forKey: .channels)
        normalization = try container.decode(Normalization.self, forKey: .normalization)
        resize = try container.decode(Bool.self, forKey: .resize)
        shuffle = try container.decodeIfPresent(BlockShuffle.self, forKey: .shuffle)
        try validate()
    }

    /// `dataset` at this size and channel count, still as bytes (for statistics and pictures),
    /// with its exact values converted alike when it has them.
    public func converted(_ dataset: ImageDataset) -> ImageDataset {
        if dataset.height == side && dataset.width == side && dataset.channels == channels { return dataset }
        return ImageDataset(
            name: dataset.name, height: side, width: side, channels: channels,
            pixels: convert(dataset.pixels, of: dataset),
            exactValues: dataset.exactValues.map { convert($0, of: dataset) }, labels: dataset.labels,
            classNames: dataset.classNames)
    }

    /// `values` (the pixels or exact values of `dataset`) at this size and channel count.
    func convert<Value: PixelValue>(_ values: [Value], of dataset: ImageDataset) -> [Value] {
        var output = [Value]()
        output.reserveCapacity(dataset.count * side * side * channels)
        let size = dataset.imageSize
        for i in 0..<dataset.count {
            var image = Array(values[(i * size)..<((i + 1) * size)])
            if dataset.channels == 3 && channels == 1 { image = Resize.gray(fromRGB: image[...]) }
            if dataset.channels == 1 && channels == 3 { image = image.flatMap { [$0, $0, $0] } }
            if !resize && dataset.height <= side && dataset.width <= side {
                image = Self.padded(image, height: dataset.height, width: dataset.width, channels: channels, side: side)
            } else if dataset.height == dataset.width {
                image = Resize.area(
                    image[...], height: dataset.height, width: dataset.width, channels: channels, toHeight: side,
                    toWidth: side)
            } else {
                image = Resize.fitSquare(
                    image[...], height: dataset.height, width: dataset.width, channels: channels, side: side,
                    fill: Value(resampled: 0))
            }
            output += image
        }
        return output
    }

    /// The model inputs for `dataset`.
    public func prepare(_ dataset: ImageDataset) -> PreparedImages {
        let images = converted(dataset)
        let size = side * side * channels
        var values = [Float](repeating: 0, count: images.count * size)
        let permutation = shuffle?.permutation
        values.withUnsafeMutableBufferPointer { output in
            guard let base = output.baseAddress else {
                preconditionFailure("Preprocessing.prepare: no storage for the values of \(images.count) images")
            }
            let out = UncheckedPointer(base)
            Parallel.forEachShare(of: images.count) { _, range in
                var normalized = [Float](repeating: 0, count: size)
                for i in range {
                    let base = i * size
                    if let exact = images.exactValues {
                        for j in 0..<size {
                            normalized[j] = normalization.apply(value: exact[base + j], channel: j % channels)
                        }
                    } else {
                        for j in 0..<size {
                            normalized[j] = normalization.apply(images.pixels[base + j], channel: j % channels)
                        }
                    }
                    if let permutation {
                        for j in 0..<size { out.pointer[base + j] = normalized[permutation[j]] }
                    } else {
                        for j in 0..<size { out.pointer[base + j] = normalized[j] }
                    }
                }
            }
        }
        return PreparedImages(
            side: side, channels: channels, values: values, labels: images.labels, classNames: images.classNames,
            paddingValues: (0..<channels).map { normalization.apply(0, channel: $0) })
    }

    static func padded<Value: PixelValue>(_ image: [Value], height: Int, width: Int, channels: Int, side: Int)
        -> [Value]
    {
        var output = [Value](repeating: Value(resampled: 0), count: side * side * channels)
        let top = (side - height) / 2
        let left = (side - width) / 2
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    output[((top + y) * side + left + x) * channels + c] = image[(y * width + x) * channels + c]
                }
            }
        }
        return output
    }
}

/// A raw pointer handed to parallel workers that write disjoint ranges.
struct UncheckedPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ pointer: UnsafeMutablePointer<Float>) { self.pointer = pointer }
}
