import Foundation
import TransferscopeCore
import TransferscopeIO

/// Writing analysis results: pretty JSON with every number, and CSV tables for plotting; each
/// file atomically, so a reader never sees half a result.
public enum AnalysisFiles {
    /// Writes `value` as JSON to `directory/name` (`JSONFile`'s convention: sorted keys, NaN and
    /// infinities as "nan", "inf", "-inf", which `JSONFile.decoder()` reads back).
    public static func writeJSON<T: Encodable>(_ value: T, to directory: String, name: String) throws {
        try OutputDirectory.create(directory)
        try JSONFile.write(value, to: directory + "/" + name)
    }

    /// Writes a CSV table (a header row, then the rows) to `directory/name`.
    public static func writeCSV(header: [String], rows: [[String]], to directory: String, name: String) throws {
        try OutputDirectory.create(directory)
        func field(_ text: String) -> String {
            text.contains(where: { ",\"\n".contains($0) })
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        let text = ([header] + rows).map { $0.map(field).joined(separator: ",") }.joined(separator: "\n") + "\n"
        try AtomicFile.write(Data(text.utf8), to: directory + "/" + name)
    }

    /// A number for CSV: shortest round-trip form.
    public static func number(_ value: Double?) -> String {
        guard let value else { return "" }
        return value.isFinite ? "\(value)" : (value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf"))
    }
}
