import ArgumentParser
import Foundation
import TransferscopeAnalysis
import TransferscopeCheckpoints
import TransferscopeCore
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
            DomainCommand.self,
        ])
}

/// Options that choose the images an analysis evaluates.
struct AnalysisDataOptions: ParsableArguments {
    @OptionGroup var data: DataOptions

    @Option(help: "Split to use: test or train.")
    var split = SplitName.test

    @Option(
        parsing: .unconditional,
        help: "Use at most this many images of the split (a seeded, stratified subset); default all.")
    var images: Int?

    @Option(parsing: .unconditional, help: "Seed of that subset.")
    var subsetSeed: UInt64 = 0

    func validate() throws {
        try FlagCheck.require(images, in: 4...Limits.images, "--images")
    }

    /// The chosen split (and subset) of the data.
    func dataset() throws -> ImageDataset {
        let (_, splits) = try data.load()
        var dataset = split == .test ? splits.test : splits.train
        if let images { dataset = Split.subsample(dataset, count: images, seed: subsetSeed, exact: true) }
        return dataset
    }

    /// Both splits, for analyses that need training images too.
    func splits() throws -> DatasetSplits { try data.load().splits }
}

/// Prints a line on standard error (progress of analyses).
func note(_ text: String) { printError(text) }
