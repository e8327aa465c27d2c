import Foundation

/// What can stop an analysis; each message says what to do.
public enum AnalysisError: Error, LocalizedError, Equatable {
    case tooFewSamples(count: Int, needed: Int)
    case constantFeatures(layer: String)
    case shapeMismatch(String)
    case invalidArgument(String)

    /// What stopped the analysis and what to do about it.
    public var errorDescription: String? {
        switch self {
        case .tooFewSamples(let count, let needed):
            return
                "CKA needs at least \(needed) samples (and batches of at least \(needed)), got \(count); use "
                + "more images or a larger --batch-size."
        case .constantFeatures(let layer):
            return
                "the activations of \(layer) are constant over these inputs, so their similarity is undefined; "
                + "pick other layers or inputs."
        case .shapeMismatch(let message), .invalidArgument(let message):
            return message
        }
    }
}
