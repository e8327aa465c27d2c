import Foundation

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
            self = .procedural(options)
        case "idx", "npy":
            guard parts.count == 2 || parts.count == 4 else {
                throw DataError.invalidSpecification(
                    "\(scheme): needs TRAIN_IMAGES,TRAIN_LABELS or TRAIN_IMAGES,TRAIN_LABELS,TEST_IMAGES,TEST_LABELS, got '\(rest)'")
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
                guard FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw DataError.unknownDataset(name: text, known: Catalogue.entries.map(\.name))
                }
                self = .folder(text)
            }
        }
    }

    /// How to read and split: used when the source has no test split of its own, and for
    /// folders of images of different sizes.
    public struct Options: Sendable, Equatable {
        public var testFraction: Double = 0.2
        public var splitSeed: UInt64 = 0
        /// Side of the square images read from folders.
        public var folderImageSide = 32
        public var skipCorrupt = false
        public init() {}
    }

    /// The train and test splits, and the files skipped as corrupt.
    public func load(options: Options = Options()) throws -> (splits: DatasetSplits, skipped: [(path: String, reason: String)]) {
        func split(_ dataset: ImageDataset) -> DatasetSplits {
            Split.stratified(dataset, testFraction: options.testFraction, seed: options.splitSeed)
        }
        func name(_ path: String) -> String {
            var base = (path as NSString).lastPathComponent
            for suffix in [".gz", ".csv", ".npy", "-images-idx3-ubyte"] where base.hasSuffix(suffix) { base.removeLast(suffix.count) }
            return base
        }
        switch self {
        case let .builtIn(dataset):
            return (try Catalogue.load(dataset), [])
        case let .procedural(options):
            func number(_ key: String, _ fallback: Double) throws -> Double {
                guard let text = options[key] else { return fallback }
                guard let value = Double(text) else { throw DataError.invalidSpecification("procedural: \(key)=\(text) is not a number") }
                return value
            }
            let side = Int(try number("side", 28)), channels = Int(try number("channels", 1)), classes = Int(try number("classes", 10))
            guard side >= 8, channels == 1 || channels == 3, (2...10).contains(classes) else {
                throw DataError.invalidSpecification("procedural: side >= 8, channels 1 or 3, classes 2...10")
            }
            let generator = ProceduralDataset(
                side: side, channels: channels, classes: classes, shift: try number("shift", 0), seed: UInt64(try number("seed", 0)))
            let shift = options["shift"].map { "-shift\($0)" } ?? ""
            return (generator.splits(train: Int(try number("train", 2000)), test: Int(try number("test", 500)), name: "procedural" + shift), [])
        case let .folder(path):
            let train = path + "/train", test = path + "/test"
            var isDirectory: ObjCBool = false
            let hasSplits = FileManager.default.fileExists(atPath: train, isDirectory: &isDirectory) && isDirectory.boolValue
                && FileManager.default.fileExists(atPath: test, isDirectory: &isDirectory) && isDirectory.boolValue
            if hasSplits {
                let a = try ImageFolderReader.read(train, name: name(path), side: options.folderImageSide, skipCorrupt: options.skipCorrupt)
                let b = try ImageFolderReader.read(
                    test, name: name(path), side: options.folderImageSide, channels: a.dataset.channels, skipCorrupt: options.skipCorrupt)
                guard a.dataset.classNames == b.dataset.classNames else {
                    throw DataError.malformed(path: test, reason: "its class folders differ from those of \(train)")
                }
                return (DatasetSplits(train: a.dataset, test: b.dataset), a.skipped + b.skipped)
            }
            let all = try ImageFolderReader.read(path, name: name(path), side: options.folderImageSide, skipCorrupt: options.skipCorrupt)
            return (split(all.dataset), all.skipped)
        case let .idx(paths), let .npy(paths):
            let isIDX = { if case .idx = self { return true } else { return false } }()
            func read(_ images: String, _ labels: String, classes: [String]?) throws -> ImageDataset {
                isIDX ? try IDXReader.read(images: images, labels: labels, name: name(images), classNames: classes)
                    : try NPYReader.read(images: images, labels: labels, name: name(images), classNames: classes)
            }
            let train = try read(paths[0], paths[1], classes: nil)
            guard paths.count == 4 else { return (split(train), []) }
            let test = try read(paths[2], paths[3], classes: train.classNames)
            return (try matched(train, test, testPath: paths[2]), [])
        case let .csv(paths):
            let train = try CSVReader.read(paths[0], name: name(paths[0]))
            guard paths.count == 2 else { return (split(train), []) }
            let test = try CSVReader.read(paths[1], name: name(paths[0]), classNames: train.classNames)
            return (try matched(train, test, testPath: paths[1]), [])
        }
    }

    func matched(_ train: ImageDataset, _ test: ImageDataset, testPath: String) throws -> DatasetSplits {
        guard train.imageShape == test.imageShape else {
            throw DataError.malformed(path: testPath, reason: "test images are \(test.imageShape), train images \(train.imageShape)")
        }
        return DatasetSplits(train: train, test: test)
    }
}
