import ArgumentParser
import Foundation
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeData
import TransferscopeTraining

/// `transferscope eval`: a checkpoint's accuracy, loss, per-class accuracy, confusion matrix
/// and per-sample predictions on a dataset split.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint on a dataset split.",
        discussion: """
            Images are prepared as the checkpoint records (size, channels, normalization). With --out, \
            writes eval.json (accuracy, loss, per-class accuracy), confusion.csv (rows: true class, \
            columns: predicted) and predictions.csv (index, label, predicted, correct, one probability \
            per class), which the mistake analysis reads.

            Example: transferscope eval runs/P/final.safetensors --data fashion-mnist --out runs/P/eval
            """)

    @Argument(help: "A Transferscope checkpoint (.safetensors).")
    var checkpoint: String

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var shuffle: ShuffleOptions

    @Option(help: "Split to evaluate: test or train.")
    var split = SplitName.test

    @Option(help: "Directory for eval.json, confusion.csv and predictions.csv.")
    var out: String?

    @Option(parsing: .unconditional, help: "Images per batch.")
    var batchSize = 256

    func validate() throws {
        try FlagCheck.require(batchSize, in: FlagCheck.images, "--batch-size")
    }

    func run() throws {
        let model = try Checkpoint.loadModel(from: checkpoint)
        var preprocessing = try ModelInput.preprocessing(ofCheckpoint: checkpoint)
        preprocessing.shuffle = try shuffle.shuffle(side: preprocessing.side, channels: preprocessing.channels)
        let (_, splits) = try dataOptions.load(modelSide: preprocessing.side)
        let dataset = split == .test ? splits.test : splits.train
        guard dataset.classNames.count == model.configuration.classes else {
            throw RunError(
                "\(checkpoint) has \(model.configuration.classes) classes but \(dataOptions.data) has "
                    + "\(dataset.classNames.count)"
            )
        }
        try preprocessing.checkSize(of: dataset)
        let images = preprocessing.prepare(dataset)
        let result = try Evaluator.evaluate(model, on: images, batchSize: batchSize, keepProbabilities: out != nil)
        print(
            String(
                format: "%@ on %@ (%@, %d images): accuracy %.2f%%, loss %.4f", checkpoint, dataOptions.data,
                split.rawValue,
                images.count, 100 * result.accuracy, result.loss))
        for (name, accuracy) in zip(dataset.classNames, result.perClassAccuracy) {
            print(String(format: "  %@ %.2f%%", name.padded(to: 16), 100 * accuracy))
        }
        guard let out else { return }
        try EvaluationFiles.write(
            result, classNames: dataset.classNames, to: out, checkpoint: checkpoint, data: dataOptions.data,
            split: split.rawValue)
        print("wrote \(out)/eval.json, confusion.csv, predictions.csv")
    }
}
