import Foundation

/// What is wrong with a study file or run; each message names the file and line and what is allowed.
public enum StudyError: Error, LocalizedError, Equatable {
    case unreadable(path: String, reason: String)
    case invalid(path: String, line: Int?, message: String)
    /// A node of the study failed on an MPI rank (its error's message).
    case nodeFailed(study: String, node: String, rank: Int, reason: String)
    /// An MPI rank computed another cache key for a node than rank 0: it sees other data or settings.
    case rankSeesOtherData(study: String, node: String, rank: Int)

    /// The message for the user: the study file (and line where known) and what is allowed there.
    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read the study file \(path): \(reason)."
        case .invalid(let path, let line, let message):
            return "\(path)\(line.map { ":\($0)" } ?? ""): \(message)"
        case .nodeFailed(let study, let node, let rank, let reason):
            return "\(study): node \(node) failed on MPI rank \(rank): \(reason)"
        case .rankSeesOtherData(let study, let node, let rank):
            return
                "\(study): MPI rank \(rank) computed another cache key for node \(node) than rank 0: the ranks see "
                + "different data or settings. Put the study's data, the prepared datasets (TRANSFERSCOPE_DATA) and "
                + "--out on a filesystem every rank shares, with the same contents, and run the same Transferscope "
                + "on every rank"
        }
    }
}
