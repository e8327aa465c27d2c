import Foundation

/// Where two models err on the same test set (analysis 2): the 2 x 2 table of right/wrong, how
/// often they agree on the wrong label, and how ambiguous the samples of each cell are.
public struct MistakeTable: Codable, Sendable, Equatable {
    /// Samples both A and B classified correctly.
    public var bothRight: Int
    /// Samples A classified correctly and B did not.
    public var onlyARight: Int
    /// Samples B classified correctly and A did not.
    public var onlyBRight: Int
    /// Samples both A and B misclassified.
    public var bothWrong: Int
    /// Of the samples both got wrong, how many got the same wrong label.
    public var sameWrongLabel: Int
    /// Mean ambiguity of the samples of each cell (nil for an empty cell), in the order above.
    public var meanAmbiguity: [Double?]
    /// Sample indices of each cell, in the order above.
    public var samples: [[Int]]

    /// All samples compared: the sum of the four cells.
    public var total: Int { bothRight + onlyARight + onlyBRight + bothWrong }
}

/// Mistake analysis over predictions that models made on one labelled set.
public enum Mistakes {
    /// The table of models A and B; `ambiguity` (one value per sample, e.g. `ambiguity(of:)`) is averaged per cell.
    public static func compare(_ a: [Int], _ b: [Int], labels: [Int], ambiguity: [Double]) throws -> MistakeTable {
        guard a.count == labels.count, b.count == labels.count, ambiguity.count == labels.count else {
            throw AnalysisError.shapeMismatch(
                "mistakes: \(a.count) and \(b.count) predictions, \(labels.count) labels and \(ambiguity.count) "
                    + "ambiguities must match"
            )
        }
        var cells = [[Int]](repeating: [], count: 4)
        var sameWrong = 0
        for i in 0..<labels.count {
            let (rightA, rightB) = (a[i] == labels[i], b[i] == labels[i])
            let cell = rightA ? (rightB ? 0 : 1) : (rightB ? 2 : 3)
            cells[cell].append(i)
            if cell == 3 && a[i] == b[i] { sameWrong += 1 }
        }
        let means = cells.map { cell -> Double? in
            cell.isEmpty ? nil : cell.reduce(0) { $0 + ambiguity[$1] } / Double(cell.count)
        }
        return MistakeTable(
            bothRight: cells[0].count, onlyARight: cells[1].count, onlyBRight: cells[2].count,
            bothWrong: cells[3].count,
            sameWrongLabel: sameWrong, meanAmbiguity: means, samples: cells)
    }

    /// The ambiguity of each sample: the entropy (nats) of the mean of the models' predicted
    /// distributions, `probabilities[model][sample][class]`. High when the models are unsure or
    /// disagree.
    public static func ambiguity(of probabilities: [[[Float]]]) throws -> [Double] {
        guard let first = probabilities.first, probabilities.allSatisfy({ $0.count == first.count }) else {
            throw AnalysisError.invalidArgument(
                "ambiguity needs the probabilities of at least one model, all on the same samples")
        }
        return (0..<first.count).map { sample in
            let classes = first[sample].count
            var entropy = 0.0
            for k in 0..<classes {
                let p = probabilities.reduce(0.0) { $0 + Double($1[sample][k]) } / Double(probabilities.count)
                if p > 0 { entropy -= p * log(p) }
            }
            return entropy
        }
    }
}
