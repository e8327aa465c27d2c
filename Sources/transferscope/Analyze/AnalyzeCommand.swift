import ArgumentParser
import TransferscopeCore
import Foundation
import TransferscopeAnalysis
import TransferscopeCheckpoints
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeTraining

/// `transferscope analyze ...`: the paper's analyses on checkpoints and a dataset.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Run the analyses of 'What is being transferred in transfer learning?' on checkpoints.",
        discussion: "Each writes JSON (every number) and CSV tables into --out.",
        subcommands: [
            CKACommand.self, DistanceCommand.self, MistakesCommand.self, InterpolateCommand.self, BasinCommand.self,
            BezierCommand.self, CriticalityCommand.self, ShuffleSweepCommand.self, CheckpointChoiceCommand.self,
        ])
}

/// Options that choose the images an analysis evaluates.
struct AnalysisDataOptions: ParsableArguments {
    @OptionGroup var data: DataOptions

    @Option(help: "Split to use: test or train.")
    var split = "test"

    @Option(parsing: .unconditional, help: "Use at most this many images of the split (a seeded, stratified subset); default all.")
    var images: Int?

    @Option(parsing: .unconditional, help: "Seed of that subset.")
    var subsetSeed: UInt64 = 0

    func validate() throws {
        guard ["test", "train"].contains(split) else { throw ValidationError("--split must be test or train, got '\(split)'") }
        try FlagCheck.require(images, in: 4...Limits.images, "--images")
    }

    /// The chosen split (and subset) of the data.
    func dataset() throws -> ImageDataset {
        let (_, splits) = try data.load()
        var dataset = split == "test" ? splits.test : splits.train
        if let images { dataset = Split.subsample(dataset, count: images, seed: subsetSeed, exact: true) }
        return dataset
    }

    /// Both splits, for analyses that need training images too.
    func splits() throws -> DatasetSplits { try data.load().splits }
}

/// A checkpoint loaded with the preprocessing it records.
struct LoadedModel {
    var path: String
    var model: ResNet
    var preprocessing: Preprocessing

    init(_ path: String) throws {
        self.path = path
        model = try Checkpoint.loadModel(from: path)
        preprocessing = try ModelInput.preprocessing(ofCheckpoint: path)
    }

    /// `dataset` prepared for this model, checking the classes match.
    func prepare(_ dataset: ImageDataset) throws -> PreparedImages {
        guard dataset.classNames.count == model.configuration.classes else {
            throw RunError("\(path) has \(model.configuration.classes) classes but the data has \(dataset.classNames.count)")
        }
        try preprocessing.checkSize(of: dataset)
        return preprocessing.prepare(dataset)
    }
}

/// Parses a comma-separated list of numbers for option `flag`.
func parseList<T: LosslessStringConvertible>(_ text: String, flag: String) throws -> [T] {
    let values = text.split(separator: ",").map { T(String($0).trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
        throw ValidationError("\(flag) must be a comma-separated list of numbers, got '\(text)'")
    }
    return values.map { $0! }
}

/// Parses a comma-separated list of integers in 1...`upTo` for option `flag`.
func parsePositiveList(_ text: String, flag: String, upTo limit: Int) throws -> [Int] {
    let values: [Int] = try parseList(text, flag: flag)
    guard values.allSatisfy({ (1...limit).contains($0) }) else {
        throw ValidationError("\(flag) must be integers in 1...\(limit) separated by commas, got '\(text)'")
    }
    return values
}

/// Prints a line on standard error (progress of analyses).
func note(_ text: String) { printError(text) }
