import ArgumentParser
import Foundation
import TransferscopeAnalysis
import TransferscopeData
import TransferscopeNN
import TransferscopeOptimizers

/// A comma-separated list given as one option value (`--seeds 0,1,2`), parsed by the argument
/// parser into typed values; an empty item or one that does not parse is a flag error.
struct CommaList<Element: LosslessStringConvertible & Sendable>: ExpressibleByArgument, Sendable {
    /// The values, in the order given.
    var values: [Element]

    /// A list of `values`.
    init(_ values: [Element]) { self.values = values }

    /// Parses `0,1,2` (spaces around items allowed).
    init?(argument: String) {
        let parsed = argument.split(separator: ",", omittingEmptySubsequences: false)
            .map { Element(String($0).trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }) else { return nil }
        values = parsed.compactMap { $0 }
    }

    var defaultValueDescription: String { values.map { "\($0)" }.joined(separator: ",") }
}

/// `all`, or a comma-separated list (`--block-sizes`, `--source-epochs`, `--checkpoint-epochs`).
enum ListOrAll<Element: LosslessStringConvertible & Sendable>: ExpressibleByArgument, Sendable {
    /// Every value that applies (every divisor of the side, every kept epoch, ...).
    case all
    /// The values given.
    case list([Element])

    /// Parses `all` or a comma-separated list.
    init?(argument: String) {
        if argument == "all" {
            self = .all
        } else if let list = CommaList<Element>(argument: argument) {
            self = .list(list.values)
        } else {
            return nil
        }
    }

    var defaultValueDescription: String {
        switch self {
        case .all: return "all"
        case .list(let values): return values.map { "\($0)" }.joined(separator: ",")
        }
    }

    /// The values, with `all` standing for `everything`.
    func values(all everything: @autoclosure () throws -> [Element]) rethrows -> [Element] {
        switch self {
        case .all: return try everything()
        case .list(let values): return values
        }
    }
}

/// Which split of a dataset a command reads.
enum SplitName: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// The test split.
    case test
    /// The training split.
    case train
}

extension ScheduleName: ExpressibleByArgument {}
extension ResNetConfiguration.Stem: ExpressibleByArgument {}
extension BatchNormMode: ExpressibleByArgument {}
extension CKA.KernelName: ExpressibleByArgument {}
extension ImageFolderReader.Fit: ExpressibleByArgument {}

extension FlagCheck {
    /// Requires every value of `list` in `range`, naming `flag`.
    static func require(_ list: CommaList<Int>?, in range: ClosedRange<Int>, _ flag: String) throws {
        guard let list else { return }
        guard list.values.allSatisfy(range.contains) else {
            throw ValidationError(
                "\(flag) must be integers in \(range.lowerBound)...\(range.upperBound) separated by commas, got "
                    + "'\(list.defaultValueDescription)'"
            )
        }
    }
}
