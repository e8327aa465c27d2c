import Foundation

extension SafeTensors {
    /// The metadata and every tensor's shape of the safetensors file at `path`, read from its
    /// header alone (one small read, whatever the size of the tensors): what a dataset cache holds
    /// can be known without reading its images. The header is checked as `init(contentsOf:)` checks it.
    public static func shapes(ofFileAt path: String) throws -> (metadata: [String: String], shapes: [String: [Int]]) {
        let (metadata, entries) = try headerEntries(ofFileAt: path)
        return (metadata, Dictionary(entries.map { ($0.name, $0.shape) }) { first, _ in first })
    }
}
