import Foundation

/// What can stop an experiment before it trains; each message says what to do.
public enum ExperimentError: Error, LocalizedError, Equatable {
    /// The source run did not keep the checkpoint of an epoch asked for.
    case missingSourceCheckpoint(path: String)
    /// A setting the data cannot give (the message names it and the limit).
    case invalidSetting(String)

    /// What went wrong and what to do about it, for the user.
    public var errorDescription: String? {
        switch self {
        case .missingSourceCheckpoint(let path):
            return "\(path) does not exist; the source run keeps the epochs given by its --checkpoint-epochs "
                + "(train it with --checkpoint-epochs all, or pick kept epochs)"
        case .invalidSetting(let message):
            return message
        }
    }
}
