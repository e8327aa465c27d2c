import Foundation

/// What can go wrong reading or preparing data; each message names the file or dataset and
/// says what to do.
public enum DataError: Error, LocalizedError, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    /// An image in a folder that does not decode (`--skip-corrupt` leaves such images out).
    case corruptImage(path: String, reason: String)
    case unsupported(path: String, reason: String)
    case notInstalled(dataset: String, howToInstall: String)
    case notPrepared(dataset: String)
    case unknownDataset(name: String, known: [String])
    case invalidSpecification(String)
    case empty(path: String)
    /// A folder without class subfolders of images.
    case emptyFolder(path: String)
    case unwritable(path: String, reason: String)

    /// The reason alone, for messages that name the file themselves.
    public var reason: String {
        switch self {
        case .unreadable(_, let reason), .malformed(_, let reason), .corruptImage(_, let reason),
            .unsupported(_, let reason):
            return reason
        default: return errorDescription ?? "\(self)"
        }
    }

    /// What went wrong, naming the file or dataset, and what to do about it.
    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason). Check that the path exists and is readable."
        case .malformed(let path, let reason):
            return "\(path) is not valid: \(reason). Re-create or re-download the file."
        case .corruptImage(let path, let reason):
            return
                "\(path) is not a readable image: \(reason). Re-create or remove it, or pass --skip-corrupt to "
                + "leave such images out."
        case .unsupported(let path, let reason):
            return "\(path): \(reason)."
        case .notInstalled(let dataset, let howToInstall):
            return "the built-in dataset \(dataset) is not installed on this machine. Install it with: \(howToInstall)"
        case .notPrepared(let dataset):
            return "the built-in dataset \(dataset) has not been prepared. Run: transferscope data prepare \(dataset)"
        case .unknownDataset(let name, let known):
            return
                "unknown dataset '\(name)'. Use one of \(known.joined(separator: ", ")), 'procedural', a folder "
                + "of class subfolders, or FORMAT:PATH (see transferscope data --help)."
        case .invalidSpecification(let message):
            return message
        case .unwritable(let path, let reason):
            return
                "cannot write \(path): \(reason). Check that the directory exists and is writable, and that the "
                + "disk has room."
        case .empty(let path):
            return "\(path) holds no images."
        case .emptyFolder(let path):
            return "\(path) holds no images. Point to a folder with one subfolder of PNG/JPEG images per class."
        }
    }
}
