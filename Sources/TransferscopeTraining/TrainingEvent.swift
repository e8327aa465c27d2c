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
    case finished(TrainingSummary)
}

/// One line of `metrics.jsonl` for a logging interval.
public struct StepMetrics: Codable, Sendable, Equatable {
    public var kind = "step"
    public var step: Int
    /// Fractional epoch at the end of the interval.
    public var epoch: Double
    /// Mean training loss and accuracy over the interval's batches.
    public var loss: Double
    public var accuracy: Double
    public var learningRate: Double
    public var imagesPerSecond: Double
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
    public var kind = "epoch"
    public var step: Int
    public var epoch: Int
    public var testLoss: Double
    public var testAccuracy: Double
    public var trainLoss: Double?
    public var trainAccuracy: Double?
    public var seconds: Double
    public var epochs: Int
    public var checkpoint: String?

    enum CodingKeys: String, CodingKey {
        case kind, step, epoch, seconds, epochs, checkpoint
        case testLoss = "test_loss"
        case testAccuracy = "test_accuracy"
        case trainLoss = "train_loss"
        case trainAccuracy = "train_accuracy"
    }
}
