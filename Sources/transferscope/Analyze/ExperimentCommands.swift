import ArgumentParser
import Foundation
import TransferscopeAnalysis
import TransferscopeCore
import TransferscopeData
import TransferscopeExperiments
import TransferscopeIO
import TransferscopeTraining

/// Options of the target training recipe shared by the experiments; every default is
/// `TransferRecipe`'s, the same a study starts from.
struct RecipeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Epochs of each target run (default: \(TransferRecipe().epochs)).")
    var epochs: Int?
    @Option(parsing: .unconditional, help: "Images per batch (default: \(TransferRecipe().batchSize)).")
    var batchSize: Int?
    @Option(
        parsing: .unconditional,
        help: "Base learning rate of P-T, fine-tuning (default: \(TransferRecipe().fineTuneLearningRate)).")
    var ptLr: Double?
    @Option(
        parsing: .unconditional,
        help: "Base learning rate of RI-T, from scratch (default: \(TransferRecipe().scratchLearningRate)).")
    var ritLr: Double?
    @Option(parsing: .unconditional, help: "Comma-separated replicate seeds.") var seeds = CommaList<UInt64>([0, 1])
    @Flag(help: "No horizontal flip (e.g. for digits).") var noFlip = false
    @Option(parsing: .unconditional, help: "Worker threads (default: all cores).") var threads: Int?

    func validate() throws {
        try FlagCheck.require(epochs, in: FlagCheck.epochs, "--epochs")
        try FlagCheck.require(batchSize, in: 2...Limits.images, "--batch-size")
        if let ptLr { try FlagCheck.requirePositive(ptLr, "--pt-lr") }
        if let ritLr { try FlagCheck.requirePositive(ritLr, "--rit-lr") }
        try FlagCheck.require(threads, in: FlagCheck.threads, "--threads")
    }

    /// The recipe: `TransferRecipe`'s defaults with the options given.
    func recipe() -> TransferRecipe {
        var recipe = TransferRecipe()
        if let epochs { recipe = recipe.running(epochs: epochs) }
        if let batchSize { recipe.batchSize = batchSize }
        if let ptLr { recipe.fineTuneLearningRate = ptLr }
        if let ritLr { recipe.scratchLearningRate = ritLr }
        recipe.augmentation.horizontalFlip = !noFlip
        return recipe
    }
}

/// Writes the outcomes of an experiment.
func writeOutcomes(_ outcomes: [RunOutcome], to directory: String, settingName: String) throws {
    let summary = TransferExperiments.summarize(outcomes)
    try AnalysisFiles.writeJSON(["runs": outcomes], to: directory, name: "runs.json")
    try AnalysisFiles.writeJSON(summary, to: directory, name: "summary.json")
    try AnalysisFiles.writeCSV(
        header: [settingName, "kind", "accuracy_mean", "accuracy_min", "accuracy_max", "steps_to_90pct_mean", "seeds"],
        rows: summary.map { s in
            [
                s.setting, s.kind.rawValue, AnalysisFiles.number(s.accuracy.mean),
                AnalysisFiles.number(s.accuracy.minimum),
                AnalysisFiles.number(s.accuracy.maximum),
                s.stepsToFraction.count > 0 ? AnalysisFiles.number(s.stepsToFraction.mean) : "",
                String(s.accuracy.count),
            ]
        }, to: directory, name: "summary.csv")
    try AnalysisFiles.writeCSV(
        header: [settingName, "kind", "seed", "step", "test_accuracy"],
        rows: outcomes.flatMap { o in
            o.curve.map {
                [o.setting, o.kind.rawValue, String(o.seed), AnalysisFiles.number($0[0]), AnalysisFiles.number($0[1])]
            }
        },
        to: directory, name: "curves.csv")
    for s in summary {
        print(
            String(
                format: "  %@ %@: accuracy %.2f%% (%.2f-%.2f), steps to 90%% of final %@", s.setting.padded(to: 8),
                s.kind.rawValue.padded(to: 3), 100 * s.accuracy.mean, 100 * s.accuracy.minimum,
                100 * s.accuracy.maximum,
                s.stepsToFraction.count > 0 ? String(format: "%.0f", s.stepsToFraction.mean) : "-"))
    }
}

/// `transferscope analyze shuffle-sweep`.
struct ShuffleSweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shuffle-sweep",
        abstract: "Feature reuse: P-T and RI-T on the target shuffled in b x b blocks, for each block size b.",
        discussion: """
            One permutation per seed for every train and test image; augmentation off. Each run is a \
            resumable run under --out/bB/{PT,RIT}-sS. Writes summary.json/.csv (accuracy and steps to \
            reach 90% of the final accuracy per b and kind) and curves.csv.
            Example: transferscope analyze shuffle-sweep --source runs/P/final.safetensors --data clipart \
            --block-sizes 28,14,7,4,2,1 --pixel --out out/shuffle
            """)

    @Option(help: "The pre-trained checkpoint (P).") var source: String
    @OptionGroup var data: DataOptions
    @Option(parsing: .unconditional, help: "Comma-separated block sizes, or 'all' (every divisor of the side).")
    var blockSizes = ListOrAll<Int>.all
    @Flag(help: "Add the pixel shuffle (all C*H*W values permuted).") var pixel = false
    @OptionGroup var recipe: RecipeOptions
    @Option(help: "Directory for the runs and results.") var out: String

    func run() throws {
        try Parallel.withWorkers(recipe.threads ?? Parallel.workerCount) { try perform() }
    }

    /// The command's work, under its worker count.
    func perform() throws {
        let (_, splits) = try data.load()
        let source = try SourceCheckpoint(self.source)
        let sizes = blockSizes.values(all: BlockShuffle.blockSizes(side: source.preprocessing.side))
        let display = ProgressDisplay()
        let start = Date()
        let outcomes = try TransferExperiments.shuffleSweep(
            source: source, target: splits, dataset: data.data, blockSizes: sizes, pixelShuffle: pixel,
            seeds: recipe.seeds.values,
            recipe: recipe.recipe(), directory: out, threads: recipe.threads ?? Parallel.workerCount
        ) { label, event in
            if case .started = event { note("run \(label)") }
            display.handle(event)
        }
        try writeOutcomes(outcomes, to: out, settingName: "block")
        print(
            String(format: "%d runs in %.0f s -> %@/summary.json", outcomes.count, Date().timeIntervalSince(start), out)
        )
    }
}

/// `transferscope analyze checkpoints`.
struct CheckpointChoiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints",
        abstract:
            "Which pre-training checkpoint: fine-tune from each kept source checkpoint, next to the source's accuracy.",
        discussion: """
            Needs a source run trained with --checkpoint-epochs (e.g. all). Writes summary.json/.csv \
            (target accuracy per source epoch), source.csv (the source's test accuracy per epoch) and curves.csv.
            Example: transferscope analyze checkpoints --source-run runs/P --data clipart --source-epochs 0,1,2,4,8 \
            --out out/checkpoints
            """)

    @Option(help: "The source's run directory.") var sourceRun: String
    @Option(parsing: .unconditional, help: "Comma-separated source epochs to fine-tune from, or 'all' kept.")
    var sourceEpochs = ListOrAll<Int>.all
    @OptionGroup var data: DataOptions
    @OptionGroup var recipe: RecipeOptions
    @Option(help: "Directory for the runs and results.") var out: String

    func run() throws {
        try Parallel.withWorkers(recipe.threads ?? Parallel.workerCount) { try perform() }
    }

    /// The command's work, under its worker count.
    func perform() throws {
        let (_, splits) = try data.load()
        let sourceMetrics = try RunResults.epochs(of: sourceRun)
        let kept = sourceMetrics.filter { $0.checkpoint != nil }.map(\.epoch)
        let epochs = sourceEpochs.values(all: kept)
        if let bad = epochs.first(where: { $0 < 0 || $0 > Limits.epochs }) {
            throw ValidationError("--source-epochs must be epochs in 0...\(Limits.epochs) or 'all', got \(bad)")
        }
        let display = ProgressDisplay()
        let start = Date()
        let outcomes = try TransferExperiments.checkpointChoice(
            sourceRun: sourceRun, epochs: epochs, target: splits, dataset: data.data, seeds: recipe.seeds.values,
            recipe: recipe.recipe(), directory: out, threads: recipe.threads ?? Parallel.workerCount
        ) { label, event in
            if case .started = event { note("run \(label)") }
            display.handle(event)
        }
        try writeOutcomes(outcomes, to: out, settingName: "source_epoch")
        try AnalysisFiles.writeCSV(
            header: ["source_epoch", "source_test_accuracy"],
            rows: sourceMetrics.map { [String($0.epoch), AnalysisFiles.number($0.testAccuracy)] }, to: out,
            name: "source.csv")
        print(
            String(format: "%d runs in %.0f s -> %@/summary.json", outcomes.count, Date().timeIntervalSince(start), out)
        )
    }
}
