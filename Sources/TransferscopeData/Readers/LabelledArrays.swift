import TransferscopeCore
import TransferscopeIO

/// Checks on the shapes and labels that array files declare, made before anything is allocated.
enum ArrayShape {
    /// The number of values of an array of `shape`, checked for overflow and against `Limits.elements`.
    static func checkedCount(_ shape: [Int], path: String) throws -> Int {
        guard shape.count <= 8, let count = Limits.product(shape), count <= Limits.elements else {
            throw DataError.malformed(
                path: path,
                reason:
                    "its shape \(shape) is beyond the \(Limits.elements) values and 8 dimensions supported (a "
                    + "damaged header?)"
            )
        }
        return count
    }

    /// Checks an image array's shape: [N, H, W] or [N, H, W, 1|3] with sides in 1...`Limits.imageSide`.
    static func checkImages(_ shape: [Int], path: String) throws {
        guard shape.count == 3 || (shape.count == 4 && [1, 3].contains(shape[3])) else {
            throw DataError.unsupported(path: path, reason: "images must be [N, H, W] or [N, H, W, 1|3], not \(shape)")
        }
        guard (1...Limits.imageSide).contains(shape[1]), (1...Limits.imageSide).contains(shape[2]) else {
            throw DataError.unsupported(
                path: path,
                reason: "its images are \(shape[1])x\(shape[2]) pixels; sides must lie in 1...\(Limits.imageSide)")
        }
        guard shape[0] <= Limits.images else {
            throw DataError.unsupported(
                path: path, reason: "it holds \(shape[0]) images, more than the \(Limits.images) supported")
        }
    }
}

/// Turning raw image and label arrays into an `ImageDataset`.
enum LabelledArrays {
    /// Checks labels against the class names, or, when none are given, names classes "0", "1",
    /// ... up to the highest label; then every class must have an image, and there must be two.
    static func dataset(
        name: String, shape: [Int], pixels: [UInt8], exactValues: [Float]? = nil, labels: [Int], classNames: [String]?,
        labelsPath: String
    ) throws -> ImageDataset {
        guard let lowest = labels.min(), let highest = labels.max() else { throw DataError.empty(path: labelsPath) }
        guard lowest >= 0 else { throw DataError.malformed(path: labelsPath, reason: "label \(lowest) is negative") }
        if let classNames {
            guard highest < classNames.count else {
                throw DataError.malformed(
                    path: labelsPath,
                    reason:
                        "label \(highest) has no class: the training labels define \(classNames.count) classes, "
                        + "0...\(classNames.count - 1)"
                )
            }
        } else {
            guard highest < Limits.classes else {
                throw DataError.malformed(
                    path: labelsPath,
                    reason: "label \(highest) is beyond the \(Limits.classes) classes supported (a damaged file?)")
            }
            var seen = [Bool](repeating: false, count: highest + 1)
            for label in labels { seen[label] = true }
            let missing = seen.indices.filter { !seen[$0] }
            guard missing.isEmpty else {
                let list =
                    missing.prefix(8).map(String.init).joined(separator: ", ") + (missing.count > 8 ? ", ..." : "")
                throw DataError.malformed(
                    path: labelsPath,
                    reason:
                        "labels run to \(highest) but \(missing.count) class(es) below have no image (\(list)); "
                        + "number the classes 0..<K with every class present"
                )
            }
            guard highest >= 1 else {
                throw DataError.malformed(
                    path: labelsPath, reason: "every label is \(highest); a classifier needs at least 2 classes")
            }
        }
        return ImageDataset(
            name: name, height: shape[1], width: shape[2], channels: shape.count == 4 ? shape[3] : 1,
            pixels: pixels, exactValues: exactValues, labels: labels,
            classNames: classNames ?? (0...highest).map(String.init))
    }
}
