/// A one-line account of why decoding failed: which key, and what was expected there, instead
/// of Foundation's multi-line dump of the coding path.
public func describeDecodingError(_ error: Error) -> String {
    func path(_ keys: [CodingKey]) -> String {
        keys.isEmpty
            ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    guard let error = error as? DecodingError else { return "\(error)" }
    switch error {
    case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
    case .typeMismatch(let type, let context): return "\(path(context.codingPath)) should be \(type)"
    case .valueNotFound(let type, let context): return "\(path(context.codingPath)) should be \(type), not null"
    case .dataCorrupted(let context):
        return context.codingPath.isEmpty
            ? context.debugDescription : "\(path(context.codingPath)): \(context.debugDescription)"
    @unknown default: return "\(error)"
    }
}
