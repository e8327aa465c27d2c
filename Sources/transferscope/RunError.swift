import Foundation

/// A problem found while running, in files or data rather than in how the command was typed:
/// printed without the usage text (which `ValidationError` adds).
struct RunError: LocalizedError {
    let message: String
    init(_ message: String) { self.message = message }
    var errorDescription: String? { message }
}
