import Foundation
import TransferscopeCore
import TransferscopeIO

/// A folder with one subfolder of PNG/JPEG images per class (torchvision's `ImageFolder`).
///
/// Class names are the subfolder names in sorted order. Images are decoded with libpng and
/// libjpeg-turbo, composited over white where they have transparency, converted to the channel
/// count asked for (by default gray when every file is gray, else RGB) and fitted into a
/// `side x side` square (`Fit`: aspect kept and padded with white, or torchvision's resize and
/// centre crop). A corrupt image is an error naming the file, unless `skipCorrupt`, which leaves
/// it out and records it in `skipped`.
public enum ImageFolderReader {
    /// How an image of any size becomes a `side x side` square.
    public enum Fit: String, Codable, Sendable, CaseIterable {
        /// Scaled (area) to fit whole inside the square, aspect kept, the rest white.
        case pad
        /// torchvision's evaluation transform for ImageNet models, `Resize(side / 0.875)` then
        /// `CenterCrop(side)` (256 -> 224): the shorter side scaled, the centre kept.
        case crop

        /// The share of the shorter side that `crop` keeps (torchvision: 224 / 256).
        public static let cropFraction = 0.875
    }

    /// File extensions read as images, compared in lowercase; other files are ignored.
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// The result of reading a folder.
    public struct Result: Sendable {
        /// The decoded images, labelled by their subfolder's index in sorted order.
        public var dataset: ImageDataset
        /// Files left out because they could not be decoded (only with `skipCorrupt`), with why.
        public var skipped: [(path: String, reason: String)]
    }

    /// The image files of each class under `root`: class names sorted, files sorted.
    public static func listing(_ root: String) throws -> [(className: String, files: [String])] {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError.unreadable(path: root, reason: "no such folder")
        }
        let classes = try manager.contentsOfDirectory(atPath: root).filter { name in
            var isFolder: ObjCBool = false
            return !name.hasPrefix(".") && manager.fileExists(atPath: root + "/" + name, isDirectory: &isFolder)
                && isFolder.boolValue
        }.sorted()
        var result: [(String, [String])] = []
        for name in classes {
            let folder = root + "/" + name
            guard let enumerator = manager.enumerator(atPath: folder) else { continue }
            var files: [String] = []
            while let relative = enumerator.nextObject() as? String {
                let ext = (relative as NSString).pathExtension.lowercased()
                if imageExtensions.contains(ext) { files.append(folder + "/" + relative) }
            }
            if !files.isEmpty { result.append((name, files.sorted())) }
        }
        guard !result.isEmpty else { throw DataError.emptyFolder(path: root) }
        return result
    }

    /// Reads every image under `root` into one dataset of `side x side` images.
    public static func read(
        _ root: String, name: String, side: Int, channels: Int? = nil, fit: Fit = .pad, skipCorrupt: Bool = false
    ) throws -> Result {
        let classes = try listing(root)
        let files = classes.enumerated().flatMap { index, entry in entry.files.map { ($0, index) } }
        guard let values = Limits.product([files.count, side, side, 3]), values <= Limits.elements else {
            throw DataError.unsupported(
                path: root,
                reason:
                    "\(files.count) images at \(side)x\(side) would be more than the \(Limits.elements) values "
                    + "supported; use a smaller --folder-image-size"
            )
        }
        let decoded = try decode(files.map(\.0), side: side, fit: fit, skipCorrupt: skipCorrupt)
        let wantChannels = channels ?? (decoded.contains { ($0.image?.sourceChannels ?? 1) >= 3 } ? 3 : 1)
        var pixels: [UInt8] = []
        var labels: [Int] = []
        var skipped: [(String, String)] = []
        for (item, (path, label)) in zip(decoded, files) {
            guard let image = item.image else {
                skipped.append((path, item.error ?? "unreadable"))
                continue
            }
            pixels += wantChannels == 3 ? image.pixels : Resize.gray(fromRGB: image.pixels[...])
            labels.append(label)
        }
        guard !labels.isEmpty else { throw DataError.emptyFolder(path: root) }
        let dataset = ImageDataset(
            name: name, height: side, width: side, channels: wantChannels, pixels: pixels, labels: labels,
            classNames: classes.map(\.className))
        return Result(dataset: dataset, skipped: skipped)
    }

    /// One decoded file: the fitted RGB image and the file's own channel count, or why it failed.
    struct Decoded: Sendable {
        var image: (pixels: [UInt8], sourceChannels: Int)?
        var error: String?
    }

    /// Decodes `paths` on every worker, each fitted (`fit`) to `side x side` RGB over white.
    static func decode(_ paths: [String], side: Int, fit: Fit, skipCorrupt: Bool) throws -> [Decoded] {
        let results = SlotArray<Decoded>(count: paths.count, initial: Decoded(image: nil, error: nil))
        Parallel.forEachShare(of: paths.count) { _, range in
            for i in range {
                do {
                    let image = try ImageCodec.decode(contentsOf: paths[i])
                    let rgb =
                        fit == .pad
                        ? Resize.fitSquare(
                            image.overWhite()[...], height: image.height, width: image.width, channels: 3, side: side,
                            fill: 255)
                        : Resize.centerCrop(
                            image.overWhite()[...], height: image.height, width: image.width, channels: 3, side: side,
                            fraction: Fit.cropFraction)
                    results[i] = Decoded(image: (rgb, image.sourceChannels), error: nil)
                } catch let error as DataError {
                    results[i] = Decoded(image: nil, error: error.reason)
                } catch {
                    results[i] = Decoded(image: nil, error: error.localizedDescription)
                }
            }
        }
        let decoded = results.values
        if !skipCorrupt, let index = decoded.firstIndex(where: { $0.image == nil }) {
            throw DataError.corruptImage(path: paths[index], reason: decoded[index].error ?? "unreadable image")
        }
        return decoded
    }
}
