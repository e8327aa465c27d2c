import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeOptimizers

@testable import TransferscopeTraining

/// A small, quick setting: resnet8 of widths 8/16/16 on 12x12 procedural images.
enum Small {
    static let data = ProceduralDataset(side: 12, channels: 1, classes: 4, seed: 1).splits(train: 384, test: 128)

    static func configuration(
        epochs: Int = 3, seed: UInt64 = 0, classes: Int = 4, initialization: String? = nil, frozen: [String] = [],
        learningRate: Double = 0.05, checkpointEpochs: [Int] = [0, 1]
    ) -> TrainingConfiguration {
        let architecture = ResNetConfiguration.named(
            "resnet8", inputChannels: 1, classes: classes, widths: [8, 16, 16])!
        return TrainingConfiguration(
            architecture: architecture, dataset: "procedural",
            preprocessing: Preprocessing(
                side: 12, channels: 1, normalization: .statistics(of: data.train)),
            augmentation: Augmentation(padding: 2, horizontalFlip: true), epochs: epochs, batchSize: 32,
            learningRate: LearningRateSchedule(
                base: learningRate, kind: .cosine(totalEpochs: Double(epochs), minimum: 0)),
            seed: seed, checkpointEpochs: checkpointEpochs, initialization: initialization, frozenModules: frozen,
            trainEvaluationSize: 64, logEvery: 5, threads: Parallel.workerCount)
    }

    static func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "transferscope-train-" + UUID().uuidString
    }

    /// Every tensor of the checkpoint at `path`.
    static func tensors(_ path: String) throws -> [String: SafeTensors.Entry] {
        try SafeTensors(contentsOf: path).entries
    }
}

@Suite("Trainer", .serialized)
struct TrainerTests {
    @Test("A short training on procedural data learns far above chance")
    func learns() throws {
        let directory = Small.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let trainer = Trainer(configuration: Small.configuration(epochs: 4), directory: directory)
        let summary = try trainer.run(data: Small.data)
        #expect(summary.finalTestAccuracy > 0.6, "chance is 0.25")
        // The files of a run.
        for name in [
            "config.json", "run.json", "metrics.jsonl", "summary.json", "final.safetensors",
            "checkpoints/epoch-0000.safetensors", "checkpoints/epoch-0001.safetensors",
        ] {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + name), "\(name)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/resume"))
        let lines = try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        let epochs = lines.filter { $0.contains("\"kind\":\"epoch\"") }
        #expect(epochs.count == 5)  // epochs 0...4
        #expect(lines.filter { $0.contains("\"kind\":\"step\"") }.count >= 4 * 2)
        // Evaluating the final checkpoint reproduces the summary's test accuracy.
        let model = try Checkpoint.loadModel(from: directory + "/final.safetensors")
        let preprocessing = try ModelInput.preprocessing(ofCheckpoint: directory + "/final.safetensors")
        #expect(preprocessing.normalization == Small.configuration().preprocessing.normalization)
        // The summary's accuracy, recounted here from the logits: argmax against the labels.
        let test = preprocessing.prepare(Small.data.test)
        let logits = model.inference(BatchLoader.batch(test, indices: Array(0..<test.count)).inputs)
        let classes = logits.shape[1]
        let correct = (0..<test.count).filter { n in
            let row = (0..<classes).map { logits[flat: n * classes + $0] }
            return row.firstIndex(of: row.max()!) == test.labels[n]
        }.count
        #expect(Double(correct) / Double(test.count) == summary.finalTestAccuracy)
    }

    @Test("Killed after an epoch (with half-written files left behind) and started again: bit-identical weights")
    func killAndResume() throws {
        let uninterrupted = Small.temporaryDirectory()
        let killed = Small.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: uninterrupted)
            try? FileManager.default.removeItem(atPath: killed)
        }
        let configuration = Small.configuration(epochs: 3)
        let reference = Trainer(configuration: configuration, directory: uninterrupted)
        // Snapshot the directory as a kill right after epoch 1's state was saved would leave it.
        reference.onEvent = { event in
            if case .epochEnded(let metrics) = event, metrics.epoch == 1 {
                try? FileManager.default.copyItem(atPath: uninterrupted, toPath: killed)
            }
        }
        try reference.run(data: Small.data)
        // What else a kill -9 mid-epoch 2 can leave: metrics lines past the saved step, a
        // temporary checkpoint file, a stray file in resume/.
        let handle = try #require(FileHandle(forWritingAtPath: killed + "/metrics.jsonl"))
        handle.seekToEndOfFile()
        handle.write(Data("{\"kind\":\"step\",\"step\":9999,\"loss\":1}\n{\"kind\":\"st".utf8))
        try handle.close()
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: killed + "/checkpoints/.epoch-0002.safetensors.tmp-123"))
        try Data([4, 5]).write(to: URL(fileURLWithPath: killed + "/resume/model-0002.safetensors"))

        var resumedFrom: Int?
        let resumed = Trainer(configuration: configuration, directory: killed)
        resumed.onEvent = { if case .started(let epoch, _, _, _, _) = $0 { resumedFrom = epoch } }
        try resumed.run(data: Small.data)
        #expect(resumedFrom == 1)
        #expect(try Small.tensors(killed + "/final.safetensors") == Small.tensors(uninterrupted + "/final.safetensors"))
        // The metrics read as one uninterrupted run.
        func epochLines(_ directory: String) throws -> [String] {
            try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
                .filter { $0.contains("\"kind\":\"epoch\"") }.map { line in
                    String(
                        line.replacingOccurrences(of: #""seconds":[0-9.e-]+"#, with: "", options: .regularExpression))
                }
        }
        #expect(try epochLines(killed) == epochLines(uninterrupted))
        // A third start does nothing.
        var complete = false
        let again = Trainer(configuration: configuration, directory: killed)
        again.onEvent = { if case .alreadyComplete = $0 { complete = true } }
        try again.run(data: Small.data)
        #expect(complete)
    }

    @Test("Same seed, same thread count: the same bits; another seed: other weights")
    func determinism() throws {
        let a = Small.temporaryDirectory()
        let b = Small.temporaryDirectory()
        let c = Small.temporaryDirectory()
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(atPath: d) } }
        try Trainer(configuration: Small.configuration(epochs: 1), directory: a).run(data: Small.data)
        try Trainer(configuration: Small.configuration(epochs: 1), directory: b).run(data: Small.data)
        try Trainer(configuration: Small.configuration(epochs: 1, seed: 1), directory: c).run(data: Small.data)
        #expect(try Small.tensors(a + "/final.safetensors") == Small.tensors(b + "/final.safetensors"))
        #expect(try Small.tensors(a + "/final.safetensors") != Small.tensors(c + "/final.safetensors"))
    }

    @Test(
        """
        The initialization seed alone decides the start: the same one with other seeds gives the same epoch-0 \
        weights and other final ones; nil is the run seed, with config.json as before
        """
    )
    func initializationSeed() throws {
        let (a, b, c) = (Small.temporaryDirectory(), Small.temporaryDirectory(), Small.temporaryDirectory())
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(atPath: d) } }
        var first = Small.configuration(epochs: 1, seed: 0)
        first.initializationSeed = 7
        var second = Small.configuration(epochs: 1, seed: 1)
        second.initializationSeed = 7
        try Trainer(configuration: first, directory: a).run(data: Small.data)
        try Trainer(configuration: second, directory: b).run(data: Small.data)
        let start = "/checkpoints/epoch-0000.safetensors"
        #expect(try Small.tensors(a + start) == Small.tensors(b + start))
        #expect(try Small.tensors(a + "/final.safetensors") != Small.tensors(b + "/final.safetensors"))
        // Another initialization seed with the same run seed: another start.
        try Trainer(configuration: Small.configuration(epochs: 1, seed: 0), directory: c).run(data: Small.data)
        #expect(try Small.tensors(a + start) != Small.tensors(c + start))
        // nil: not written to config.json (an older config.json decodes to nil), and the run seed initializes.
        let plain = Small.configuration(epochs: 1, seed: 0)
        #expect(try !String(decoding: plain.json(), as: UTF8.self).contains("initializationSeed"))
        #expect(try JSONFile.read(TrainingConfiguration.self, from: c + "/config.json") == plain)
        var explicit = plain
        explicit.initializationSeed = 0
        let d = Small.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try Trainer(configuration: explicit, directory: d).run(data: Small.data)
        #expect(try Small.tensors(c + start) == Small.tensors(d + start))
        #expect(try Small.tensors(c + "/final.safetensors") == Small.tensors(d + "/final.safetensors"))
    }

    @Test("Fine-tuning loads all but the head and re-initializes the head for the new classes (seeded)")
    func fineTuning() throws {
        let source = Small.temporaryDirectory()
        let target = Small.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: target)
        }
        try Trainer(configuration: Small.configuration(epochs: 1), directory: source).run(data: Small.data)
        let targetData = ProceduralDataset(side: 12, channels: 1, classes: 3, shift: 0.7, seed: 2).splits(
            train: 96, test: 48)
        let configuration = Small.configuration(
            epochs: 1, seed: 5, classes: 3, initialization: source + "/final.safetensors")
        try Trainer(configuration: configuration, directory: target).run(data: targetData)
        let start = try Small.tensors(target + "/checkpoints/epoch-0000.safetensors")
        let pretrained = try Small.tensors(source + "/final.safetensors")
        for (key, entry) in pretrained where !key.hasPrefix("fc.") {
            #expect(start[key] == entry, "\(key) must come from the source")
        }
        #expect(start["fc.weight"]?.shape == [3, 16])
        var generator = RandomGenerator(seed: 5)
        let fresh = ResNet(configuration.architecture, generator: &generator)
        #expect(start["fc.weight"] == StateDict.entries(of: fresh.namedState)["fc.weight"])
        // Training then moved every layer (all layers are fine-tuned).
        let final = try Small.tensors(target + "/final.safetensors")
        #expect(
            final["conv1.weight"] != start["conv1.weight"]
                && final["layer3.0.conv2.weight"] != start["layer3.0.conv2.weight"])
    }

    @Test("Frozen modules keep their weights")
    func freezing() throws {
        let directory = Small.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Trainer(configuration: Small.configuration(epochs: 1, frozen: ["stem", "layer1.0"]), directory: directory)
            .run(data: Small.data)
        let start = try Small.tensors(directory + "/checkpoints/epoch-0000.safetensors")
        let final = try Small.tensors(directory + "/final.safetensors")
        for key in ["conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "layer1.0.bn2.bias"] {
            #expect(final[key] == start[key], "\(key)")
        }
        #expect(final["layer2.0.conv1.weight"] != start["layer2.0.conv1.weight"])
        let unknown = #expect(throws: TrainingError.self) {
            try Trainer(configuration: Small.configuration(frozen: ["layer9.0"]), directory: directory + "-x").run(
                data: Small.data)
        }
        #expect(unknown?.errorDescription?.contains("layer9.0") == true)
    }

    @Test("A diverging run stops with a clear error and keeps the last good state")
    func nonFiniteLoss() throws {
        let directory = Small.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let error = #expect(throws: TrainingError.self) {
            try Trainer(configuration: Small.configuration(epochs: 2, learningRate: 1e12), directory: directory).run(
                data: Small.data)
        }
        guard case .nonFiniteLoss(let step, _, _)? = error else {
            Issue.record("expected nonFiniteLoss, got \(String(describing: error))")
            return
        }
        #expect(step >= 1)
        #expect(error?.errorDescription?.contains("--lr") == true)
        #expect(!FileManager.default.fileExists(atPath: directory + "/summary.json"))
    }

    @Test("A directory holding another configuration is refused unless restarting")
    func differentConfiguration() throws {
        let directory = Small.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Trainer(configuration: Small.configuration(epochs: 1), directory: directory).run(data: Small.data)
        let other = Small.configuration(epochs: 1, seed: 3)
        let error = #expect(throws: TrainingError.self) {
            try Trainer(configuration: other, directory: directory).run(data: Small.data)
        }
        #expect(error?.errorDescription?.contains(directory) == true)
        let summary = try Trainer(configuration: other, directory: directory).run(data: Small.data, restart: true)
        #expect(summary.epochs == 1)
    }
}
