import Foundation
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeOptimizers

/// One trainer for pre-training, fine-tuning and training from scratch.
///
/// A run lives in a directory: `config.json`, `run.json` (version, machine, starts),
/// `metrics.jsonl` (a line per logging interval and per epoch), `checkpoints/epoch-NNNN.safetensors`
/// at the chosen epochs, `final.safetensors`, and `summary.json` once complete. Every file is
/// written atomically. After each epoch the model and optimizer are saved to `resume/`; a run
/// started again with the same configuration continues from there and ends with the same bits
/// as an uninterrupted run (same seed and thread count): the data order, augmentation and head
/// initialization are functions of (seed, epoch, index), not of a generator's history.
public final class Trainer {
    /// The run's settings; a resumed run must have the same (see `config.json`).
    public let configuration: TrainingConfiguration
    /// The run's directory, holding every file listed above.
    public let directory: String
    /// Called with progress events (on the training thread).
    public var onEvent: (TrainingEvent) -> Void = { _ in }
    /// The class names of the data, recorded in checkpoints.
    var classNames: [String]?
    /// The processes this run is split over (data-parallel, `Trainer+Distributed.swift`); nil
    /// or one process: this process alone.
    public var processGroup: (any ProcessGroup)?

    /// A trainer for one run in `directory`; nothing is read or written until `run(data:restart:)`.
    public init(configuration: TrainingConfiguration, directory: String) {
        self.configuration = configuration
        self.directory = directory
    }

    var checkpointsFolder: String { directory + "/checkpoints" }
    var resumeFolder: String { directory + "/resume" }
    var metricsPath: String { directory + "/metrics.jsonl" }
    var summaryPath: String { directory + "/summary.json" }
    /// `final.safetensors` in the run's directory: the model after the last epoch.
    public var finalCheckpointPath: String { directory + "/final.safetensors" }

    /// The checkpoint path kept for `epoch`.
    public func checkpointPath(epoch: Int) -> String {
        checkpointsFolder + String(format: "/epoch-%04d.safetensors", epoch)
    }

    /// Trains on `data` (already loaded; preprocessing and few-shot selection are applied here).
    /// With `restart`, an earlier run in the directory is discarded first.
    @discardableResult
    public func run(data: DatasetSplits, restart: Bool = false) throws -> TrainingSummary {
        try configuration.validate()
        try checkBatchSplits()
        // The kernels split their sums across the run's workers: the count is part of its bits.
        return try Parallel.withWorkers(configuration.threads) { try train(data: data, restart: restart) }
    }

    /// `run`'s work, once the configuration is validated, under the run's worker count.
    private func train(data: DatasetSplits, restart: Bool) throws -> TrainingSummary {
        let c = configuration
        // Everything that can be refused is checked before anything is written to the directory.
        let trainImages = try selectTrainingImages(data)
        // Only the writer locks and prepares the directory; the other processes read it after.
        let lock = writesFiles ? try OutputDirectory.createAndLock(directory, purpose: "train") : nil
        defer { lock?.release() }
        if writesFiles { try prepareDirectory(restart: restart) }
        // What the files say is read by the writer and shared, so that every process takes the
        // same branch whatever its view of a shared filesystem.
        if let summary = try fromWriter({ try? JSONFile.read(TrainingSummary.self, from: summaryPath) }) {
            onEvent(.alreadyComplete(summary))
            return summary
        }
        let (train, test) = (c.preprocessing.prepare(trainImages), c.preprocessing.prepare(data.test))
        classNames = data.train.classNames
        let model = try makeModel()
        for norm in model.batchNorms { norm.processGroup = distributedGroup }
        let optimizer = SGD(parameters: trainableParameters(of: model), hyperparameters: c.optimizer)
        let stepsPerEpoch = train.count / c.batchSize
        var state = RunState()
        if let saved = try fromWriter({ try savedState() }) {
            try restore(saved, model: model, optimizer: optimizer)
            state = saved
        }
        try checkReplicasAgree(model, epoch: state.epoch)
        if writesFiles { try recordStart(epoch: state.epoch) }
        let log = writesFiles ? try MetricsLog(path: metricsPath, keepingThroughStep: state.step) : nil
        let trainSubset = evaluationSubset(count: train.count)

        if state.epoch == 0 {
            let epochStart = Date()
            let kept = c.checkpointEpochs.contains(0) && writesFiles ? try saveCheckpoint(model, epoch: 0) : nil
            let metrics = try evaluate(
                model, train: train, test: test, subset: trainSubset, step: 0, epoch: 0,
                seconds: Date().timeIntervalSince(epochStart),
                checkpoint: c.checkpointEpochs.contains(0) ? kept ?? checkpointPath(epoch: 0) : nil)
            try log?.append(metrics)
        }
        onEvent(
            .started(
                epoch: state.epoch, epochs: c.epochs, stepsPerEpoch: stepsPerEpoch,
                totalSteps: stepsPerEpoch * c.epochs, trainImages: train.count))
        let classes = c.architecture.classes
        let localBatch = c.batchSize / (distributedGroup?.size ?? 1)
        var dLogits = Tensor(shape: [localBatch, classes])
        var packedGradients = Tensor()
        for epoch in state.epoch..<c.epochs {
            let epochStart = Date()
            let order = BatchLoader.epochOrder(count: train.count, seed: c.seed, epoch: epoch)
            var interval = (loss: 0.0, correct: 0, images: 0, start: Date())
            for stepInEpoch in 0..<stepsPerEpoch {
                let indices = localShare(
                    of: Array(order[(stepInEpoch * c.batchSize)..<((stepInEpoch + 1) * c.batchSize)]))
                let (inputs, labels) = BatchLoader.batch(
                    train, indices: indices, augmentation: c.augmentation, seed: c.seed, epoch: epoch)
                let learningRate = c.learningRate.rate(
                    atEpoch: Double(epoch) + Double(stepInEpoch) / Double(stepsPerEpoch))
                model.zeroGradients()
                let logits = model.forward(inputs, training: true)
                let localLoss = CrossEntropy.forwardBackward(
                    logits: logits.unsafePointer, labels: labels, classes: classes,
                    logitsGradient: dLogits.unsafeMutablePointer, gradientBatch: c.batchSize)
                let batch = batchTotals(
                    loss: localLoss, correct: Self.correctCount(logits, labels: labels, classes: classes),
                    images: labels.count)
                state.step += 1
                guard batch.lossTotal.isFinite else {
                    let lastGood =
                        FileManager.default.fileExists(atPath: resumeFolder + "/state.json") ? resumeFolder : nil
                    throw TrainingError.nonFiniteLoss(step: state.step, epoch: epoch, lastGoodCheckpoint: lastGood)
                }
                model.backward(dLogits)
                sumGradients(optimizer.parameters, packed: &packedGradients)
                optimizer.update(learningRate: Float(learningRate))
                interval.loss += batch.lossTotal
                interval.correct += batch.correct
                interval.images += batch.images
                if state.step % c.logEvery == 0 || stepInEpoch == stepsPerEpoch - 1 {
                    let elapsed = max(Date().timeIntervalSince(interval.start), 1e-9)
                    let metrics = StepMetrics(
                        step: state.step, epoch: Double(epoch) + Double(stepInEpoch + 1) / Double(stepsPerEpoch),
                        loss: interval.loss / Double(interval.images),
                        accuracy: Double(interval.correct) / Double(interval.images),
                        learningRate: learningRate, imagesPerSecond: Double(interval.images) / elapsed,
                        totalSteps: stepsPerEpoch * c.epochs)
                    try log?.append(metrics)
                    onEvent(.step(metrics))
                    interval = (0, 0, 0, Date())
                }
            }
            state.epoch = epoch + 1
            try checkReplicasAgree(model, epoch: state.epoch)
            let keeps = c.checkpointEpochs.contains(state.epoch)
            let kept = keeps && writesFiles ? try saveCheckpoint(model, epoch: state.epoch) : nil
            let metrics = try evaluate(
                model, train: train, test: test, subset: trainSubset, step: state.step, epoch: state.epoch,
                seconds: Date().timeIntervalSince(epochStart),
                checkpoint: keeps ? kept ?? checkpointPath(epoch: state.epoch) : nil)
            try log?.append(metrics)
            state.seconds += Date().timeIntervalSince(epochStart)
            if writesFiles { try saveState(state, model: model, optimizer: optimizer) }
            onEvent(.epochEnded(metrics))
        }
        // The writer writes the final files; the others take its summary.
        let summary = try fromWriter {
            try log.map { try finish(model: model, state: state, log: $0, train: train, test: test) }
        }
        guard let summary else { preconditionFailure("Trainer: the writer's summary did not arrive") }
        return summary
    }

    /// Number of rows of `logits` [N, classes] whose arg-max is the label.
    static func correctCount(_ logits: Tensor, labels: [Int], classes: Int) -> Int {
        var correct = 0
        for (n, label) in labels.enumerated()
        where Evaluator.predictedClass(logits.unsafePointer + n * classes, classes: classes) == label {
            correct += 1
        }
        return correct
    }

    func evaluate(
        _ model: ResNet, train: PreparedImages, test: PreparedImages, subset: [Int], step: Int, epoch: Int,
        seconds: Double,
        checkpoint: String?
    ) throws -> EpochMetrics {
        let onTest = try evaluateShared(model, on: test, indices: nil)
        let onTrain = subset.isEmpty ? nil : try evaluateShared(model, on: train, indices: subset)
        return EpochMetrics(
            step: step, epoch: epoch, testLoss: onTest.loss, testAccuracy: onTest.accuracy, trainLoss: onTrain?.loss,
            trainAccuracy: onTrain?.accuracy, seconds: seconds, epochs: configuration.epochs,
            checkpoint: checkpoint.map { ($0 as NSString).lastPathComponent })
    }

    /// The fixed training images evaluated after each epoch.
    func evaluationSubset(count: Int) -> [Int] {
        var generator = RandomGenerator(seed: configuration.seed).derived(.trainingEvaluationSubset)
        return Split.shuffle(Array(0..<count), generator: &generator).prefix(configuration.trainEvaluationSize).sorted()
    }

    func finish(model: ResNet, state: RunState, log: MetricsLog, train: PreparedImages, test: PreparedImages) throws
        -> TrainingSummary
    {
        try save(model, to: finalCheckpointPath, epoch: configuration.epochs)
        let epochs = log.epochMetrics
        let last = epochs.last
        let summary = TrainingSummary(
            epochs: configuration.epochs, steps: state.step, finalTestAccuracy: last?.testAccuracy ?? 0,
            finalTestLoss: last?.testLoss ?? 0, finalTrainAccuracy: last?.trainAccuracy,
            bestTestAccuracy: epochs.map(\.testAccuracy).max() ?? 0, trainImages: train.count, testImages: test.count,
            seconds: state.seconds, finalCheckpoint: "final.safetensors",
            checkpoints: configuration.checkpointEpochs.sorted().map {
                ("checkpoints" as NSString).appendingPathComponent(
                    (checkpointPath(epoch: $0) as NSString).lastPathComponent)
            })
        try JSONFile.write(summary, to: summaryPath)
        try? FileManager.default.removeItem(atPath: resumeFolder)
        onEvent(.finished(summary))
        return summary
    }
}
