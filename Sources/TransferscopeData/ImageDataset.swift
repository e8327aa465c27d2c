import Foundation

/// Labelled 8-bit images of one size: what every reader produces and every transform consumes.
///
/// `pixels` holds `count` images, each `height x width x channels` (NHWC, row-major, 0...255).
public struct ImageDataset: Sendable, Equatable {
    /// A short name for messages and reports (`fashion-mnist`, a folder name, ...).
    public var name: String
    /// H: rows of every image, in pixels.
    public var height: Int
    /// W: columns of every image, in pixels.
    public var width: Int
    /// 1 (gray) or 3 (RGB).
    public var channels: Int
    /// The images as 8-bit values, [count, H, W, C] row-major (NHWC), 0...255.
    public var pixels: [UInt8]
    /// The exact values on the 0...255 scale when the source held floating-point images
    /// (float32 NPY); `pixels` is then their 8-bit rounding, for pictures and displays, while
    /// preprocessing feeds the model these values unchanged. Nil for 8-bit sources.
    public var exactValues: [Float]?
    /// Class index of each image, in `0..<classNames.count`.
    public var labels: [Int]
    /// Name of each class, indexed by label (folder names, or the dataset's own names).
    public var classNames: [String]

    /// A dataset as given; traps unless the pixel (and exact value) counts match the labels and every label is a class.
    public init(
        name: String, height: Int, width: Int, channels: Int, pixels: [UInt8], exactValues: [Float]? = nil,
        labels: [Int],
        classNames: [String]
    ) {
        precondition(
            height >= 1 && width >= 1 && pixels.count == labels.count * height * width * channels,
            "ImageDataset: \(pixels.count) pixels for \(labels.count) images of \(height)x\(width)x\(channels)")
        if let exactValues {
            precondition(exactValues.count == pixels.count, "ImageDataset: exact values and pixels differ in count")
        }
        precondition(
            labels.allSatisfy { $0 >= 0 && $0 < classNames.count }, "ImageDataset: a label is outside the classes")
        self.name = name
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
        self.exactValues = exactValues
        self.labels = labels
        self.classNames = classNames
    }

    /// Number of images.
    public var count: Int { labels.count }
    /// Values per image.
    public var imageSize: Int { height * width * channels }
    /// [H, W, C].
    public var imageShape: [Int] { [height, width, channels] }

    /// The pixels of image `index`.
    public func image(at index: Int) -> ArraySlice<UInt8> {
        pixels[(index * imageSize)..<((index + 1) * imageSize)]
    }

    /// The images at `indices`, in that order.
    public func subset(_ indices: [Int]) -> ImageDataset {
        var selected = [UInt8]()
        selected.reserveCapacity(indices.count * imageSize)
        for i in indices { selected += image(at: i) }
        let exact = exactValues.map { values in
            indices.flatMap { i in values[(i * imageSize)..<((i + 1) * imageSize)] }
        }
        return ImageDataset(
            name: name, height: height, width: width, channels: channels, pixels: selected, exactValues: exact,
            labels: indices.map { labels[$0] }, classNames: classNames)
    }

    /// Number of images of each class.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for label in labels { counts[label] += 1 }
        return counts
    }
}

/// A dataset's training and test parts (both with the same classes and image shape).
public struct DatasetSplits: Sendable, Equatable {
    /// The part models are trained on.
    public var train: ImageDataset
    /// The held-out part accuracy is measured on.
    public var test: ImageDataset

    /// Two parts as given; traps when they differ in classes or image shape.
    public init(train: ImageDataset, test: ImageDataset) {
        precondition(
            train.classNames == test.classNames && train.imageShape == test.imageShape,
            "DatasetSplits: train and test differ in classes or image shape")
        self.train = train
        self.test = test
    }
}
