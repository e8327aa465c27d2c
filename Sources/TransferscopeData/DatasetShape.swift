import Foundation
import TransferscopeIO

/// How many images a dataset holds and of what size, known without reading its pixels: what an
/// estimate of the work on it needs.
public struct DatasetShape: Sendable, Equatable {
    /// Training images of each class, in class order. Exact for procedural data; for a prepared
    /// dataset, whose header records the count and the classes but not the labels, the count
    /// spread evenly over the classes (the first classes get the remainder).
    public var trainClassCounts: [Int]
    /// Test images.
    public var testImages: Int
    /// Image height in pixels.
    public var height: Int
    /// Image width in pixels.
    public var width: Int
    /// Channels per pixel, 1 or 3.
    public var channels: Int

    /// A shape; `trainClassCounts` has one entry per class.
    public init(trainClassCounts: [Int], testImages: Int, height: Int, width: Int, channels: Int) {
        self.trainClassCounts = trainClassCounts
        self.testImages = testImages
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// Training images, all classes together.
    public var trainImages: Int { trainClassCounts.reduce(0, +) }

    /// `count` images spread over `classes` as evenly as labels that cycle through the classes spread them.
    public static func evenly(_ count: Int, classes: Int) -> [Int] {
        guard classes > 0 else { return [] }
        return (0..<classes).map { count / classes + ($0 < count % classes ? 1 : 0) }
    }

    /// The shape of `source` from what costs no pixel read: a procedural specification's
    /// options, or the headers of a prepared built-in dataset (`DatasetCache` files). Nil when
    /// only reading the images would tell (a built-in dataset not prepared yet, a folder, IDX,
    /// NPY or CSV files).
    public static func withoutReadingImages(_ source: DatasetSource) throws -> DatasetShape? {
        switch source {
        case .procedural(let options):
            let generator = try DatasetSource.proceduralGenerator(options)
            let train = try DatasetSource.proceduralCount(options, "train", 2000)
            return DatasetShape(
                trainClassCounts: evenly(train, classes: generator.classes),
                testImages: try DatasetSource.proceduralCount(options, "test", 500), height: generator.side,
                width: generator.side, channels: generator.channels)
        case .builtIn(let name):
            guard Catalogue.isPrepared(name) else { return nil }
            let folder = Catalogue.preparedFolder(name)
            return try prepared(train: folder + "/train.safetensors", test: folder + "/test.safetensors")
        case .folder, .idx, .npy, .csv:
            return nil
        }
    }

    /// The shape of a dataset prepared as two `DatasetCache` files, from their headers alone.
    public static func prepared(train: String, test: String) throws -> DatasetShape {
        let (trainImages, classes) = try cacheHeader(train)
        let (testImages, _) = try cacheHeader(test)
        return DatasetShape(
            trainClassCounts: evenly(trainImages[0], classes: classes), testImages: testImages[0],
            height: trainImages[1], width: trainImages[2], channels: trainImages[3])
    }

    /// The images' shape [N, H, W, C] and the number of classes recorded in a `DatasetCache` file's header.
    static func cacheHeader(_ path: String) throws -> (images: [Int], classes: Int) {
        let header: (metadata: [String: String], shapes: [String: [Int]])
        do { header = try SafeTensors.shapes(ofFileAt: path) } catch let error as SafeTensorsError {
            throw DataError.malformed(path: path, reason: error.localizedDescription)
        }
        guard let images = header.shapes["images"], images.count == 4, images[1] >= 1, images[2] >= 1,
            [1, 3].contains(images[3]), header.shapes["labels"] == [images[0]],
            let classText = header.metadata[DatasetCache.classesKey]?.data(using: .utf8),
            let classNames = try? JSONDecoder().decode([String].self, from: classText)
        else {
            throw DataError.malformed(
                path: path, reason: "not a Transferscope dataset cache (needs U8 images, I64 labels and class names)")
        }
        return (images, classNames.count)
    }
}
