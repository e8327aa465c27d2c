import Foundation
import TransferscopeCore
import TransferscopeIO

extension DatasetSource {
    /// What the data is, found without reading it: a digest that changes when the images `load`
    /// would return change, cheap enough to compute at every `study run` and `study status`.
    ///
    /// - `procedural:` is determined by its values: the digest is the specification itself.
    /// - A built-in name: its prepared files' sizes and modification times, or `NAME: not prepared`
    ///   (which changes once it is prepared).
    /// - `idx:`, `npy:`, `csv:`: each file's path, size and modification time (`absent` when missing).
    /// - A folder: the sorted listing of the images `ImageFolderReader` reads (of `train/` and
    ///   `test/` when both are there), each image's path with its size and modification time.
    ///
    /// Cost: one `stat` per file (and a directory walk for a folder); no image is read. A rewrite
    /// that keeps a file's size and its modification time to the nanosecond goes unnoticed.
    public var contentDigest: String {
        switch self {
        case .procedural:
            return describing
        case .builtIn(let name):
            return Self.preparedDigest(name: name, folder: Catalogue.preparedFolder(name))
        case .idx(let paths), .npy(let paths), .csv(let paths):
            return Self.filesDigest(paths)
        case .folder(let path):
            var digest = ContentDigest()
            for root in Self.splitFolders(path).map({ [$0.train, $0.test] }) ?? [path] {
                digest.add(root)
                do {
                    for (className, files) in try ImageFolderReader.listing(root) {
                        digest.add(className)
                        for file in files {
                            digest.add(file)
                            digest.add(RegularFile.stamp(atPath: file))
                        }
                    }
                } catch {
                    digest.add("unreadable: \(error.localizedDescription)")
                }
            }
            return digest.hex
        }
    }

    /// The digest of the prepared files of built-in `name` in `folder`, or `NAME: not prepared`.
    static func preparedDigest(name: String, folder: String) -> String {
        let files = [folder + "/train.safetensors", folder + "/test.safetensors"]
        guard files.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else { return "\(name): not prepared" }
        return filesDigest(files)
    }

    /// The digest of each file's path, size and modification time, in order.
    static func filesDigest(_ paths: [String]) -> String {
        var digest = ContentDigest()
        for path in paths {
            digest.add(path)
            digest.add(RegularFile.stamp(atPath: path))
        }
        return digest.hex
    }
}
