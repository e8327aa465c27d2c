import Foundation
import TransferscopeAnalysis
import TransferscopeData
import TransferscopeExperiments
import TransferscopeIO

/// The experiments of a study (the shuffle sweep, the size sweep, the checkpoint choice): each
/// is a part per setting and seed (`StudyPlan.Node.isExperimentPart`), which trains its runs,
/// and a node that gathers the parts' runs into the experiment's result.
extension StudyRunner {
    /// An experiment's part trains its runs (`experimentPart`); the node with no seed gathers
    /// its parts' runs, in plan order, into the experiment's result.
    func experiment(_ node: StudyPlan.Node) throws {
        guard node.target != nil else { preconditionFailure("an experiment node has a target") }
        let result: ExperimentResult
        if node.isExperimentPart {
            let (outcomes, notes) = try experimentPart(node)
            // Run directories relative to the study's, so results stay valid when the study is moved.
            let relative = outcomes.map { outcome -> RunOutcome in
                var copy = outcome
                if copy.directory.hasPrefix(directory + "/") { copy.directory.removeFirst(directory.count + 1) }
                return copy
            }
            result = ExperimentResult(runs: relative, summary: TransferExperiments.summarize(relative), notes: notes)
        } else {
            // The runs as one experiment node trained them: by setting, then seed, then kind (a part
            // per seed that trains every block size gives them by seed first).
            var gathered: [(part: Int, offset: Int, run: RunOutcome)] = []
            var notes: [String] = []
            let parts = plan.nodes.filter { node.dependencies.contains($0.id) && $0.isExperimentPart }
            for (index, part) in parts.enumerated() {
                let partResult = try JSONFile.read(
                    ExperimentResult.self, from: resultDirectory(part.id) + "/result.json")
                gathered += partResult.runs.enumerated().map { (index, $0.offset, $0.element) }
                notes += (partResult.notes ?? []).filter { !notes.contains($0) }
            }
            var settingOrder: [String: Int] = [:]
            for entry in gathered where settingOrder[entry.run.setting] == nil {
                settingOrder[entry.run.setting] = settingOrder.count
            }
            let runs = gathered.sorted {
                (settingOrder[$0.run.setting] ?? 0, $0.part, $0.offset) < (
                    settingOrder[$1.run.setting] ?? 0, $1.part, $1.offset
                )
            }.map(\.run)
            result = ExperimentResult(runs: runs, summary: TransferExperiments.summarize(runs), notes: notes)
        }
        try AnalysisFiles.writeJSON(result, to: resultDirectory(node.id), name: "result.json")
    }

    /// The runs of one experiment part: its seed, and its setting (or every setting of a shuffle
    /// sweep whose block sizes follow P), with what it left out and why.
    func experimentPart(_ node: StudyPlan.Node) throws -> (outcomes: [RunOutcome], notes: [String]) {
        guard let index = node.target, let seed = node.seed else {
            preconditionFailure("an experiment's part has a target and a seed")
        }
        let target = study.targets[index]
        let splits = try targetData(index)
        let analyses = study.analyses(for: target)
        switch (node.kind, node.setting) {
        case (.shuffleSweep, let setting):
            guard let shuffle = analyses.shuffle else { return ([], []) }
            let source = try source()
            let (side, channels) = (source.preprocessing.side, source.preprocessing.channels)
            var (blockSizes, pixel): ([Int], Bool)
            switch setting {
            case .blockSize(let b)?: (blockSizes, pixel) = ([b], false)
            case .pixel?: (blockSizes, pixel) = ([], true)
            default: (blockSizes, pixel) = (shuffle.blockSizes ?? BlockShuffle.blockSizes(side: side), shuffle.pixel)
            }
            // Every setting is checked before this part trains, as one experiment node checked them.
            for b in shuffle.blockSizes ?? [] {
                _ = try BlockShuffle(blockSize: b, side: side, channels: channels, seed: 0)
            }
            var notes: [String] = []
            if pixel && channels == 1 {
                pixel = false
                notes.append(
                    "the pixel shuffle is left out: with 1 channel, permuting every value is the b = 1 shuffle again")
            }
            let outcomes = try TransferExperiments.shuffleSweep(
                source: source, target: splits, dataset: target.data, blockSizes: blockSizes, pixelShuffle: pixel,
                seeds: [seed], recipe: study.recipe(for: target, epochs: shuffle.epochs), selection: target.selection,
                directory: runDirectory(node), threads: threads
            ) { [onTraining] _, event in onTraining(event) }
            return (outcomes, notes)
        case (.sizeSweep, let setting):
            guard let sizes = analyses.sizes else { return ([], []) }
            let perClass = setting?.perClass.map { [$0] } ?? sizes.perClass
            try TransferExperiments.checkSizes(
                sizes.perClass, target: splits, dataset: target.data,
                batchSize: study.recipe(for: target, epochs: sizes.epochs).batchSize)
            let outcomes = try TransferExperiments.sizeSweep(
                source: try source(), target: splits, dataset: target.data, perClass: perClass, seeds: [seed],
                recipe: study.recipe(for: target, epochs: sizes.epochs), selection: target.selection,
                directory: runDirectory(node), threads: threads
            ) { [onTraining] _, event in onTraining(event) }
            return (outcomes, [])
        case (.checkpoints, let setting):
            guard let settings = analyses.checkpoints else { return ([], []) }
            let every = settings.sourceEpochs ?? study.keptSourceEpochs
            let epochs = setting?.sourceEpoch.map { [$0] } ?? every
            try TransferExperiments.checkSourceCheckpoints(sourceRun: pretrainDirectory, epochs: every)
            let outcomes = try TransferExperiments.checkpointChoice(
                sourceRun: pretrainDirectory, epochs: epochs, target: splits, dataset: target.data, seeds: [seed],
                recipe: study.recipe(for: target, epochs: settings.epochs), selection: target.selection,
                directory: runDirectory(node), threads: threads
            ) { [onTraining] _, event in onTraining(event) }
            return (outcomes, [])
        default:
            preconditionFailure("\(node.kind) is not an experiment")
        }
    }
}
