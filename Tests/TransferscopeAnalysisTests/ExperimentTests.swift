import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeData
import TransferscopeExperiments
import TransferscopeNN
import TransferscopeOptimizers
import TransferscopeTraining

@testable import TransferscopeAnalysis

@Suite("Shuffle sweep and checkpoint choice", .serialized)
struct ExperimentTests {
    static let source = ProceduralDataset(side: 8, channels: 1, classes: 4, seed: 1).splits(train: 192, test: 64)
    static let target = ProceduralDataset(side: 8, channels: 1, classes: 3, shift: 0.5, seed: 2).splits(
        train: 96, test: 48)

    /// A source run with checkpoints at epochs 0 and 1.
    static func sourceRun(_ directory: String) throws {
        let configuration = TrainingConfiguration(
            architecture: ResNetConfiguration.named("resnet8", inputChannels: 1, classes: 4, widths: [4, 8, 8])!,
            dataset: "procedural",
            preprocessing: Preprocessing(side: 8, channels: 1, normalization: .statistics(of: source.train)), epochs: 1,
            batchSize: 32,
            learningRate: LearningRateSchedule(base: 0.05), checkpointEpochs: [0, 1], trainEvaluationSize: 32,
            threads: Parallel.workerCount)
        try Trainer(configuration: configuration, directory: directory).run(data: source)
    }

    @Test(
        """
        The sweep trains P-T and RI-T per block size and seed, shuffling only below the full side, and reuses finished \
        runs
        """
    )
    func sweep() throws {
        let root = NSTemporaryDirectory() + "transferscope-sweep-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.sourceRun(root + "/P")
        let recipe = TransferRecipe(epochs: 1, batchSize: 16, trainEvaluationSize: 16)
        let outcomes = try TransferExperiments.shuffleSweep(
            source: try SourceCheckpoint(root + "/P/final.safetensors"), target: Self.target, dataset: "procedural",
            blockSizes: [8, 2], pixelShuffle: true,
            seeds: [3], recipe: recipe, directory: root + "/sweep", threads: Parallel.workerCount)
        #expect(outcomes.map(\.setting) == ["b8", "b8", "b2", "b2", "pixel", "pixel"])
        #expect(outcomes.map(\.kind) == [.fineTuned, .fromScratch, .fineTuned, .fromScratch, .fineTuned, .fromScratch])
        func configuration(_ path: String) throws -> TrainingConfiguration {
            try JSONDecoder().decode(
                TrainingConfiguration.self,
                from: Data(contentsOf: URL(fileURLWithPath: root + "/sweep/" + path + "/config.json")))
        }
        #expect(try configuration("b8/PT-s3").preprocessing.shuffle == nil)
        let shuffled = try configuration("b2/RIT-s3")
        #expect(shuffled.preprocessing.shuffle == (try BlockShuffle(blockSize: 2, side: 8, channels: 1, seed: 3)))
        #expect(shuffled.augmentation == .none && shuffled.initialization == nil)
        #expect(try configuration("pixel/PT-s3").initialization == root + "/P/final.safetensors")
        #expect(outcomes.allSatisfy { $0.curve.count == 2 })
        // Each outcome's accuracy, recounted from its final checkpoint on the target's test images
        // prepared as its config.json says (with that run's shuffle): argmax against the labels.
        for outcome in outcomes {
            let configuration = try JSONDecoder().decode(
                TrainingConfiguration.self,
                from: Data(contentsOf: URL(fileURLWithPath: outcome.directory + "/config.json")))
            let model = try Checkpoint.loadModel(from: outcome.directory + "/final.safetensors")
            let test = configuration.preprocessing.prepare(Self.target.test)
            let logits = model.inference(BatchLoader.batch(test, indices: Array(0..<test.count)).inputs)
            let correct = (0..<test.count).filter { n in
                let row = (0..<3).map { logits[flat: n * 3 + $0] }
                return row.firstIndex(of: row.max()!) == test.labels[n]
            }.count
            #expect(
                outcome.finalTestAccuracy == Double(correct) / Double(test.count), "\(outcome.setting) \(outcome.kind)")
        }
        // A second call finds every run complete and trains nothing.
        var trained = 0
        let again = try TransferExperiments.shuffleSweep(
            source: try SourceCheckpoint(root + "/P/final.safetensors"), target: Self.target, dataset: "procedural",
            blockSizes: [8, 2], pixelShuffle: true,
            seeds: [3], recipe: recipe, directory: root + "/sweep", threads: Parallel.workerCount
        ) { _, event in if case .started = event { trained += 1 } }
        #expect(trained == 0 && again == outcomes)
        let summary = TransferExperiments.summarize(outcomes)
        #expect(summary.count == 6 && summary.allSatisfy { $0.accuracy.count == 1 })
        #expect(throws: DataError.self) {
            try TransferExperiments.shuffleSweep(
                source: try SourceCheckpoint(root + "/P/final.safetensors"), target: Self.target, dataset: "procedural",
                blockSizes: [3], pixelShuffle: false,
                seeds: [0], recipe: recipe, directory: root + "/bad", threads: Parallel.workerCount)
        }
    }

    @Test("The size sweep refuses a size above the smallest class before training, and writes nothing")
    func sizesBeyondTheData() throws {
        let root = NSTemporaryDirectory() + "transferscope-sizes-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.sourceRun(root + "/P")
        let smallest = try #require(Self.target.train.classCounts.min())
        let error = #expect(throws: ExperimentError.self) {
            try TransferExperiments.sizeSweep(
                source: try SourceCheckpoint(root + "/P/final.safetensors"), target: Self.target, dataset: "procedural",
                perClass: [2, smallest + 1], seeds: [0], recipe: TransferRecipe(epochs: 1, batchSize: 2),
                directory: root + "/sizes", threads: 1)
        }
        #expect(error?.errorDescription?.contains("has \(smallest)") == true)
        #expect(!FileManager.default.fileExists(atPath: root + "/sizes"))
        // 2 images of each of 3 classes are fewer than one batch of 16: refused before the first run.
        let small = #expect(throws: ExperimentError.self) {
            try TransferExperiments.sizeSweep(
                source: try SourceCheckpoint(root + "/P/final.safetensors"), target: Self.target, dataset: "procedural",
                perClass: [8, 2], seeds: [0], recipe: TransferRecipe(epochs: 1, batchSize: 16),
                directory: root + "/sizes", threads: 1)
        }
        #expect(small?.errorDescription?.contains("at least 6 per class") == true)
        #expect(!FileManager.default.fileExists(atPath: root + "/sizes"))
    }

    @Test("Checkpoint choice fine-tunes from each kept source epoch")
    func checkpoints() throws {
        let root = NSTemporaryDirectory() + "transferscope-choice-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.sourceRun(root + "/P")
        let outcomes = try TransferExperiments.checkpointChoice(
            sourceRun: root + "/P", epochs: [0, 1], target: Self.target, dataset: "procedural", seeds: [0],
            recipe: TransferRecipe(epochs: 1, batchSize: 16, trainEvaluationSize: 16), directory: root + "/choice",
            threads: Parallel.workerCount)
        #expect(outcomes.map(\.setting) == ["0", "1"] && outcomes.allSatisfy { $0.kind == .fineTuned })
        #expect(throws: ExperimentError.self) {
            try TransferExperiments.checkpointChoice(
                sourceRun: root + "/P", epochs: [5], target: Self.target, dataset: "procedural", seeds: [0],
                recipe: TransferRecipe(epochs: 1), directory: root + "/choice", threads: Parallel.workerCount)
        }
    }
}
