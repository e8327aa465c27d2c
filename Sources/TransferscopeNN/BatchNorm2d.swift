import TransferscopeCore

/// Batch normalization over the channels of NHWC activations, with PyTorch's `BatchNorm2d`
/// semantics: the batch's biased variance normalizes, the unbiased one (R / (R - 1)) enters
/// the running variance, and running = (1 - momentum) * running + momentum * batch (with
/// `momentum` nil, a cumulative average over the batches since `resetRunningStatistics()`, as
/// PyTorch's `momentum=None`).
public final class BatchNorm2d: StateContainer {
    /// C: the channels normalized, the input's last axis.
    public let channels: Int
    /// The batch statistic's weight in the running update (default 0.1); nil: a cumulative average.
    public var momentum: Float?
    /// Added to the variance before the square root (default 1e-5, as PyTorch).
    public let epsilon: Float
    /// gamma: [C], initialized to 1.
    public let weight: Parameter
    /// beta: [C], initialized to 0.
    public let bias: Parameter
    /// [C], initialized to 0.
    public let runningMean: Buffer
    /// [C], initialized to 1.
    public let runningVariance: Buffer
    /// Training-mode forward passes seen (PyTorch's `num_batches_tracked`).
    public let batchesTracked = Counter()
    /// The processes of a data-parallel run whose batches this layer normalizes together
    /// (synchronized BatchNorm, as PyTorch's `SyncBatchNorm`): in training mode the statistics
    /// and the backward pass's sums cover every process's rows. nil: this process's batch alone.
    public var processGroup: (any ProcessGroup)?

    private var savedInput = Tensor()
    /// The output, kept as the ReLU mask when the forward pass applied a ReLU.
    private var savedReluOutput: Tensor?
    private var savedMean: [Float] = []
    private var savedInverseStandardDeviation: [Float] = []
    private var savedTraining = true
    /// The rows the batch statistics covered (over every process when synchronized).
    private var savedBatchRows = 0
    /// The group the batch statistics were synchronized over (nil: this batch alone).
    private var savedGroup: (any ProcessGroup)?
    private let scratch = Workspace()

    /// gamma 1, beta 0, running mean 0 and running variance 1, as PyTorch initializes them.
    public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.channels = channels
        self.momentum = momentum
        self.epsilon = epsilon
        weight = Parameter(Tensor(shape: [channels], repeating: 1))
        bias = Parameter(Tensor(shape: [channels], repeating: 0))
        runningMean = Buffer(Tensor(shape: [channels], repeating: 0))
        runningVariance = Buffer(Tensor(shape: [channels], repeating: 1))
    }

    /// `weight`, `bias`, `running_mean`, `running_var` and `num_batches_tracked`, as PyTorch.
    public var namedState: NamedState {
        var state = NamedState()
        state.parameters = [("weight", weight), ("bias", bias)]
        state.buffers = [("running_mean", runningMean), ("running_var", runningVariance)]
        state.counters = [("num_batches_tracked", batchesTracked)]
        return state
    }

    /// input: [N, H, W, C] -> same shape. In training mode normalizes with the batch statistics
    /// and updates the running ones; in evaluation mode uses the running statistics.
    /// With `relu` the output is max(0, BN(x)), with `residual` BN(x) + residual before the
    /// ReLU: a residual block's join, fused into the same pass. Keeps what `backward` needs
    /// unless `keepingForBackward` is false (inference). The gradient `backward` returns is
    /// the input's; the residual's is the incoming gradient through the ReLU mask.
    public func forward(
        _ input: Tensor, training: Bool, relu: Bool = false, residual: Tensor? = nil, keepingForBackward: Bool = true
    ) -> Tensor {
        if let residual {
            precondition(
                residual.shape == input.shape,
                "BatchNorm2d: residual \(residual.shape) does not match input \(input.shape)")
        }
        precondition(input.shape.last == channels, "BatchNorm2d: expected \(channels) channels, got \(input.shape)")
        let rows = input.count / channels
        var mean: [Float]
        var variance: [Float]
        var batchRows = rows
        var synchronizedOver: (any ProcessGroup)?
        if training, let group = processGroup, group.size > 1 {
            synchronizedOver = group
            (mean, variance, batchRows) = BatchNormalization.statistics(
                input: input.unsafePointer, rows: rows, channels: channels, scratch: scratch, group: group)
            precondition(batchRows > 1, "BatchNorm2d: training needs more than one value per channel, got \(batchRows)")
            updateRunningStatistics(mean: mean, variance: variance, rows: batchRows)
        } else if training {
            precondition(rows > 1, "BatchNorm2d: training needs more than one value per channel, got \(input.shape)")
            (mean, variance) = BatchNormalization.statistics(
                input: input.unsafePointer, rows: rows, channels: channels, scratch: scratch)
            updateRunningStatistics(mean: mean, variance: variance, rows: rows)
        } else {
            mean = runningMean.value.scalars
            variance = runningVariance.value.scalars
        }
        let invstd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        let gamma = weight.value.scalars
        let beta = bias.value.scalars
        let scale = (0..<channels).map { gamma[$0] * invstd[$0] }
        let shift = (0..<channels).map { beta[$0] - mean[$0] * scale[$0] }
        var output = Tensor(uninitializedShape: input.shape)
        BatchNormalization.applyAffine(
            output: output.unsafeMutablePointer, input: input.unsafePointer, rows: rows, channels: channels,
            scale: scale, shift: shift, relu: relu, residual: residual?.unsafePointer)
        savedInput = keepingForBackward ? input : Tensor()
        savedReluOutput = relu && keepingForBackward ? output : nil
        savedMean = mean
        savedInverseStandardDeviation = invstd
        savedTraining = training
        savedBatchRows = batchRows
        savedGroup = synchronizedOver
        return output
    }

    private func updateRunningStatistics(mean: [Float], variance: [Float], rows: Int) {
        let unbiasing = Float(rows) / Float(rows - 1)
        let m = runningMean.value.unsafeMutablePointer
        let v = runningVariance.value.unsafeMutablePointer
        batchesTracked.value += 1
        let factor = momentum ?? 1 / Float(batchesTracked.value)
        for c in 0..<channels {
            m[c] = (1 - factor) * m[c] + factor * mean[c]
            v[c] = (1 - factor) * v[c] + factor * variance[c] * unbiasing
        }
    }

    /// Running mean 0, variance 1, no batches tracked (PyTorch's `reset_running_stats`).
    public func resetRunningStatistics() {
        runningMean.value.fill(0)
        runningVariance.value.fill(1)
        batchesTracked.value = 0
    }

    /// Accumulates the gamma and beta gradients and returns d(loss)/d(input).
    public func backward(_ outputGradient: Tensor) -> Tensor {
        backward(outputGradient, maskedGradient: nil)
    }

    /// For a pass with `relu` (and a residual): accumulates the gamma and beta gradients and
    /// returns d(loss)/d(input) and the incoming gradient through the ReLU mask, the residual's
    /// gradient, from the same passes over the data.
    public func backwardThroughJoin(_ outputGradient: Tensor) -> (input: Tensor, residual: Tensor) {
        precondition(savedReluOutput != nil, "BatchNorm2d.backwardThroughJoin: the forward pass had no ReLU")
        var residual = Tensor(uninitializedShape: outputGradient.shape)
        let input = backward(outputGradient, maskedGradient: residual.unsafeMutablePointer)
        return (input, residual)
    }

    private func backward(_ outputGradient: Tensor, maskedGradient: UnsafeMutablePointer<Float>?) -> Tensor {
        precondition(
            outputGradient.shape == savedInput.shape,
            "BatchNorm2d.backward: gradient \(outputGradient.shape) does not match input \(savedInput.shape)")
        let rows = savedInput.count / channels
        var dx = Tensor(uninitializedShape: savedInput.shape)
        BatchNormalization.backward(
            inputGradient: dx.unsafeMutablePointer, gammaGradient: weight.gradient.unsafeMutablePointer,
            betaGradient: bias.gradient.unsafeMutablePointer, outputGradient: outputGradient.unsafePointer,
            reluOutput: savedReluOutput?.unsafePointer, input: savedInput.unsafePointer, mean: savedMean,
            inverseStandardDeviation: savedInverseStandardDeviation,
            gamma: weight.value.unsafePointer, rows: rows, channels: channels, batchStatistics: savedTraining,
            scratch: scratch, group: savedGroup,
            totalRows: savedBatchRows, maskedGradient: maskedGradient)
        savedInput = Tensor()
        savedReluOutput = nil
        return dx
    }
}
