import Foundation

/// What is wrong with a study file or run; each message names the file and line and what is allowed.
public enum StudyError: Error, LocalizedError, Equatable {
    case unreadable(path: String, reason: String)
    case invalid(path: String, line: Int?, message: String)

    /// The message for the user: the study file (and line where known) and what is allowed there.
    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read the study file \(path): \(reason)."
        case .invalid(let path, let line, let message):
            return "\(path)\(line.map { ":\($0)" } ?? ""): \(message)"
        }
    }
}
