import Foundation
import TransferscopeCore
import TransferscopeIO

/// Where a dataset comes from, parsed from the text a user gives `--data`:
///
/// - a built-in name (`fashion-mnist`, `mnist-5k`, `animal-silhouettes`, `clipart`, `sketch-digits`);
/// - `procedural` or `procedural:shift=0.5,side=28,channels=1,classes=10,train=2000,test=500,seed=0`;
/// - a folder of class subfolders (or `folder:PATH`); with `train/` and `test/` inside, those are the splits;
/// - `idx:TRAIN_IMAGES,TRAIN_LABELS[,TEST_IMAGES,TEST_LABELS]` and the same with `npy:`;
/// - `csv:TRAIN.csv[.gz][,TEST.csv[.gz]]` (pixels then label on each row).
public enum DatasetSource: Equatable, Sendable {
    case builtIn(String)
    case procedural([String: String])
    case folder(String)
    case idx([String])
    case npy([String])
    case csv([String])

    /// Parses a `--data` value.
    public init(parsing text: String) throws {
        let (scheme, rest): (String, String) = {
            guard let colon = text.firstIndex(of: ":") else { return (text, "") }
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }()
        let parts = rest.split(separator: ",").map(String.init)
        switch scheme {
        case "procedural":
            var options: [String: String] = [:]
            for part in parts {
                let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
                let allowed = ["shift", "side", "channels", "classes", "train", "test", "seed"]
                guard pair.count == 2, allowed.contains(pair[0]) else {
                    throw DataError.invalidSpecification(
                        "'\(part)' in '\(text)' is not KEY=VALUE with KEY one of \(allowed.joined(separator: ", "))")
                }
                options[pair[0]] = pair[1]
            }
            // Every value is checked here, so a study file's mistake is found when it is read.
            _ = try Self.proceduralGenerator(options)
            _ = try Self.proceduralCount(options, "train", 2000)
            _ = try Self.proceduralCount(options, "test", 500)
            self = .procedural(options)
        case "idx", "npy":
            guard parts.count == 2 || parts.count == 4 else {
                throw DataError.invalidSpecification(
                    "\(scheme): needs TRAIN_IMAGES,TRAIN_LABELS or "
                        + "TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS, got '\(rest)'"
                )
            }
            self = scheme == "idx" ? .idx(parts) : .npy(parts)
        case "csv":
            guard parts.count == 1 || parts.count == 2 else {
                throw DataError.invalidSpecification("csv: needs TRAIN.csv or TRAIN.csv,TEST.csv, got '\(rest)'")
            }
            self = .csv(parts)
        case "folder":
            self = .folder(rest)
        default:
            if Catalogue.entry(named: text) != nil {
                self = .builtIn(text)
            } else {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory), isDirectory.boolValue
                else {
                    throw DataError.unknownDataset(name: text, known: Catalogue.entries.map(\.name))
                }
                self = .folder(text)
            }
        }
    }

    /// How to read and split: used when the source has no test split of its own, and for
    /// folders of images of different sizes.
    public struct Options: Sendable, Equatable {
        /// Share of each class that goes to the test split, in (0, 1); default 0.2 (`--test-fraction`).
        public var testFraction: Double = 0.2
        /// Seed of the stratified split's draw.
        public var splitSeed: UInt64 = 0
        /// Side of the square images read from folders.
        public var folderImageSide = 32
        /// How folder images of any size become squares (`--folder-fit`): padded whole, or torchvision's centre crop.
        public var folderFit = ImageFolderReader.Fit.pad
        /// Leave out images of a folder that do not decode, instead of failing (`--skip-corrupt`).
        public var skipCorrupt = false
        /// Defaults: 20% test, split seed 0, 32-pixel folder images, corrupt images an error.
        public init() {}
    }

    /// The train and test splits, and the files skipped as corrupt. The training split must
    /// hold images of at least two classes and of every class it names.
    public func load(options: Options = Options()) throws -> (
        splits: DatasetSplits, skipped: [(path: String, reason: String)]
    ) {
        let loaded = try loadSplits(options: options)
        let train = loaded.splits.train
        guard train.classNames.count >= 2 else {
            throw DataError.invalidSpecification(
                "\(describing): the data has \(train.classNames.count) class; a classifier needs at least 2")
        }
        let missing = train.classCounts.indices.filter { train.classCounts[$0] == 0 }.map { train.classNames[$0] }
        guard missing.isEmpty else {
            throw DataError.invalidSpecification(
                "\(describing): the training split has no image of class(es) "
                    + "\(missing.prefix(8).joined(separator: ", ")); every class needs training images"
            )
        }
        guard !loaded.splits.test.labels.isEmpty else {
            throw DataError.invalidSpecification(
                "\(describing): the test split is empty; give more images or a larger --test-fraction")
        }
        return loaded
    }

    /// The source as the user wrote it, for messages.
    var describing: String {
        switch self {
        case .builtIn(let name): return name
        case .procedural(let options):
            return "procedural:"
                + options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        case .folder(let path): return path
        case .idx(let paths): return "idx:" + paths.joined(separator: ",")
        case .npy(let paths): return "npy:" + paths.joined(separator: ",")
        case .csv(let paths): return "csv:" + paths.joined(separator: ",")
        }
    }

    func loadSplits(options: Options) throws -> (splits: DatasetSplits, skipped: [(path: String, reason: String)]) {
        func split(_ dataset: ImageDataset) -> DatasetSplits {
            Split.stratified(dataset, testFraction: options.testFraction, seed: options.splitSeed)
        }
        func name(_ path: String) -> String {
            var base = (path as NSString).lastPathComponent
            for suffix in [".gz", ".csv", ".npy", "-images-idx3-ubyte"] where base.hasSuffix(suffix) {
                base.removeLast(suffix.count)
            }
            return base
        }
        switch self {
        case .builtIn(let dataset):
            return (try Catalogue.load(dataset), [])
        case .procedural(let options):
            let generator = try Self.proceduralGenerator(options)
            let (train, test) = (
                try Self.proceduralCount(options, "train", 2000), try Self.proceduralCount(options, "test", 500)
            )
            for count in [train, test]
            where Limits.product([count, generator.side, generator.side, generator.channels]).map({
                $0 > Limits.elements
            }) ?? true {
                throw DataError.invalidSpecification(
                    "procedural: \(count) images of \(generator.side)x\(generator.side)x\(generator.channels) "
                        + "exceed the \(Limits.elements) values supported"
                )
            }
            let shift = options["shift"].map { "-shift\($0)" } ?? ""
            return (generator.splits(train: train, test: test, name: "procedural" + shift), [])
        case .folder(let path):
            if let (train, test) = Self.splitFolders(path) {
                let a = try ImageFolderReader.read(
                    train, name: name(path), side: options.folderImageSide, fit: options.folderFit,
                    skipCorrupt: options.skipCorrupt)
                let b = try ImageFolderReader.read(
                    test, name: name(path), side: options.folderImageSide, channels: a.dataset.channels,
                    fit: options.folderFit, skipCorrupt: options.skipCorrupt)
                guard a.dataset.classNames == b.dataset.classNames else {
                    throw DataError.malformed(path: test, reason: "its class folders differ from those of \(train)")
                }
                return (DatasetSplits(train: a.dataset, test: b.dataset), a.skipped + b.skipped)
            }
            let all = try ImageFolderReader.read(
                path, name: name(path), side: options.folderImageSide, fit: options.folderFit,
                skipCorrupt: options.skipCorrupt)
            return (split(all.dataset), all.skipped)
        case .idx(let paths), .npy(let paths):
            let isIDX = { if case .idx = self { return true } else { return false } }()
            func read(_ images: String, _ labels: String, classes: [String]?) throws -> ImageDataset {
                isIDX
                    ? try IDXReader.read(images: images, labels: labels, name: name(images), classNames: classes)
                    : try NPYReader.read(images: images, labels: labels, name: name(images), classNames: classes)
            }
            let train = try read(paths[0], paths[1], classes: nil)
            guard paths.count == 4 else { return (split(train), []) }
            let test = try read(paths[2], paths[3], classes: train.classNames)
            return (try matched(train, test, testPath: paths[2]), [])
        case .csv(let paths):
            let train = try CSVReader.read(paths[0], name: name(paths[0]))
            guard paths.count == 2 else { return (split(train), []) }
            let test = try CSVReader.read(paths[1], name: name(paths[0]), classNames: train.classNames)
            return (try matched(train, test, testPath: paths[1]), [])
        }
    }

    /// The `train/` and `test/` folders inside `path`, when it has both (they are then the splits).
    static func splitFolders(_ path: String) -> (train: String, test: String)? {
        let train = path + "/train"
        let test = path + "/test"
        var isDirectory: ObjCBool = false
        let hasSplits =
            FileManager.default.fileExists(atPath: train, isDirectory: &isDirectory) && isDirectory.boolValue
            && FileManager.default.fileExists(atPath: test, isDirectory: &isDirectory) && isDirectory.boolValue
        return hasSplits ? (train, test) : nil
    }

    /// The generator a `procedural:` specification describes, every value checked.
    static func proceduralGenerator(_ options: [String: String]) throws -> ProceduralDataset {
        func integer(_ key: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            guard let text = options[key] else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw DataError.invalidSpecification(
                    "procedural: \(key)=\(text) must be an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        let side = try integer("side", 28, 8...Limits.imageSide)
        let channels = try integer("channels", 1, 1...3)
        guard channels != 2 else { throw DataError.invalidSpecification("procedural: channels=2 must be 1 or 3") }
        let classes = try integer("classes", 10, 2...10)
        var shift = 0.0
        if let text = options["shift"] {
            guard let value = Double(text), (0...1).contains(value) else {
                throw DataError.invalidSpecification("procedural: shift=\(text) must be a number in [0, 1]")
            }
            shift = value
        }
        var seed: UInt64 = 0
        if let text = options["seed"] {
            guard let value = UInt64(text) else {
                throw DataError.invalidSpecification("procedural: seed=\(text) must be an integer in 0...\(UInt64.max)")
            }
            seed = value
        }
        return ProceduralDataset(side: side, channels: channels, classes: classes, shift: shift, seed: seed)
    }

    /// The `train` or `test` image count of a `procedural:` specification.
    static func proceduralCount(_ options: [String: String], _ key: String, _ fallback: Int) throws -> Int {
        guard let text = options[key] else { return fallback }
        guard let value = Int(text), (1...Limits.images).contains(value) else {
            throw DataError.invalidSpecification(
                "procedural: \(key)=\(text) must be an integer in 1...\(Limits.images)")
        }
        return value
    }

    func matched(_ train: ImageDataset, _ test: ImageDataset, testPath: String) throws -> DatasetSplits {
        guard train.imageShape == test.imageShape else {
            throw DataError.malformed(
                path: testPath, reason: "test images are \(test.imageShape), train images \(train.imageShape)")
        }
        return DatasetSplits(train: train, test: test)
    }
}
