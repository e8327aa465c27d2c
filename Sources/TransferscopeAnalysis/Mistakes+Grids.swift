import Foundation
import TransferscopeData

/// The four cells of a mistake table, in `MistakeTable`'s order.
public enum MistakeCell: Int, CaseIterable, Codable, Sendable {
    /// Both models right.
    case bothRight
    /// Only model A right.
    case onlyARight
    /// Only model B right.
    case onlyBRight
    /// Both models wrong.
    case bothWrong

    /// The cell's file-name part, with the two models called `a` and `b`:
    /// `both-right`, `only-<a>-right`, `only-<b>-right`, `both-wrong`.
    public func slug(a: String, b: String) -> String {
        switch self {
        case .bothRight: return "both-right"
        case .onlyARight: return "only-\(a)-right"
        case .onlyBRight: return "only-\(b)-right"
        case .bothWrong: return "both-wrong"
        }
    }
}

extension Mistakes {
    /// How the samples of a cell grid are chosen.
    public enum GridChoice: Sendable {
        /// The most ambiguous first (what the cell's mistakes look like at their hardest).
        case mostAmbiguous
        /// Every k-th sample of the cell in dataset order (what the cell holds typically, without
        /// selecting on ambiguity); written as `<cell slug>-typical.png`.
        case typical
    }

    /// Writes a PNG grid of the samples of every non-empty cell of `table` to
    /// `directory/<prefix><cell slug>.png` (`-typical.png` for `.typical`), `perCell` samples chosen
    /// by `choice`, each captioned with its true class and the two predictions (`T3 A5 B3`, with
    /// `letters` for A and B).
    public static func writeGrids(
        _ table: MistakeTable, of dataset: ImageDataset, predictions: (a: [Int], b: [Int]), ambiguity: [Double],
        names: (a: String, b: String), letters: (a: String, b: String), perCell: Int, columns: Int = 8,
        choice: GridChoice = .mostAmbiguous, to directory: String, prefix: String = ""
    ) throws {
        for (cell, members) in zip(MistakeCell.allCases, table.samples) where !members.isEmpty {
            let chosen: [Int]
            switch choice {
            case .mostAmbiguous: chosen = Array(members.sorted { ambiguity[$0] > ambiguity[$1] }.prefix(perCell))
            case .typical:
                let stride = max(1, members.count / max(perCell, 1))
                chosen = Array(Swift.stride(from: 0, to: members.count, by: stride).map { members[$0] }.prefix(perCell))
            }
            let captions = chosen.map {
                "T\(dataset.labels[$0]) \(letters.a)\(predictions.a[$0]) \(letters.b)\(predictions.b[$0])"
            }
            let suffix = choice == .typical ? "-typical" : ""
            let path = "\(directory)/\(prefix)\(cell.slug(a: names.a, b: names.b))\(suffix).png"
            try ImageGrid.writeSamples(dataset, indices: chosen, captions: captions, to: path, columns: columns)
        }
    }
}
