import Foundation
import TransferscopeCheckpoints
import TransferscopeIO

/// `metrics.jsonl`: one JSON object per line, appended and flushed as training goes. On a
/// resume, the lines after the saved state's step (from the part of an epoch that was lost) are
/// dropped first, so the file reads as if the run had never stopped.
final class MetricsLog {
    let path: String
    private let handle: FileHandle
    private(set) var epochMetrics: [EpochMetrics] = []

    init(path: String, keepingThroughStep step: Int) throws {
        self.path = path
        var kept = Data()
        if step > 0, let data = FileManager.default.contents(atPath: path) {
            for line in data.split(separator: UInt8(ascii: "\n")) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                    let lineStep = object["step"] as? Int, lineStep <= step
                else { continue }
                kept += line + [UInt8(ascii: "\n")]
                if let epoch = try? JSONDecoder().decode(EpochMetrics.self, from: Data(line)), epoch.kind == "epoch" {
                    epochMetrics.append(epoch)
                }
            }
        }
        try AtomicFile.write(kept, to: path)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw TrainingError.invalidConfiguration("cannot open \(path) for writing")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle.close() }

    func append<T: Encodable>(_ record: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        handle.write(line)
        if let epoch = record as? EpochMetrics { epochMetrics.append(epoch) }
    }
}
