/// What a trainer reports while it runs, for progress displays.
public enum TrainingEvent: Sendable {
    /// The run starts (or resumes) at `epoch`; `totalSteps` over the whole run.
    case started(epoch: Int, epochs: Int, stepsPerEpoch: Int, totalSteps: Int, trainImages: Int)
    /// A logging interval ended.
    case step(StepMetrics)
    /// An epoch ended and was evaluated.
    case epochEnded(EpochMetrics)
    /// The run was already complete: nothing was done.
    case alreadyComplete(TrainingSummary)
    /// The run completed all its epochs; `summary.json` has been written.
    case finished(TrainingSummary)
}

/// One line of `metrics.jsonl` for a logging interval.
public struct StepMetrics: Codable, Sendable, Equatable {
    /// The line's type tag in `metrics.jsonl`: always "step".
    public var kind = "step"
    /// SGD steps taken so far in the run, counted from 1.
    public var step: Int
    /// Fractional epoch at the end of the interval.
    public var epoch: Double
    /// Mean training loss and accuracy over the interval's batches.
    public var loss: Double
    /// Mean training accuracy over the interval's batches, in [0, 1] (augmented images, training mode).
    public var accuracy: Double
    /// The learning rate of the interval's last step.
    public var learningRate: Double
    /// Training throughput over the interval, in images per second.
    public var imagesPerSecond: Double
    /// SGD steps of the whole run (steps per epoch times epochs).
    public var totalSteps: Int

    enum CodingKeys: String, CodingKey {
        case kind, step, epoch, loss, accuracy
        case learningRate = "learning_rate"
        case imagesPerSecond = "images_per_second"
        case totalSteps = "total_steps"
    }
}

/// One line of `metrics.jsonl` after an epoch (epoch 0 is the starting point).
public struct EpochMetrics: Codable, Sendable, Equatable {
    /// The line's type tag in `metrics.jsonl`: always "epoch".
    public var kind = "epoch"
    /// SGD steps taken when the epoch ended (0 for epoch 0).
    public var step: Int
    /// Epochs completed, from 0 (before training) to `epochs`.
    public var epoch: Int
    /// Mean test cross-entropy.
    public var testLoss: Double
    /// Test accuracy, in [0, 1].
    public var testAccuracy: Double
    /// Mean cross-entropy on the fixed training subset; nil when none is evaluated.
    public var trainLoss: Double?
    /// Accuracy on the fixed training subset, in [0, 1]; nil when none is evaluated.
    public var trainAccuracy: Double?
    /// Seconds from the epoch's start to its evaluation (training and any checkpoint save).
    public var seconds: Double
    /// Epochs of the whole run.
    public var epochs: Int
    /// The checkpoint file kept after this epoch (`epoch-NNNN.safetensors`), or nil.
    public var checkpoint: String?

    enum CodingKeys: String, CodingKey {
        case kind, step, epoch, seconds, epochs, checkpoint
        case testLoss = "test_loss"
        case testAccuracy = "test_accuracy"
        case trainLoss = "train_loss"
        case trainAccuracy = "train_accuracy"
    }
}
