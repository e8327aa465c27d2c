/// The largest sizes the tool accepts from files, flags and study files. Anything read from
/// outside is checked against these before memory is allocated for it, so a corrupt or hostile
/// file gives an error naming itself instead of a trap or a multi-terabyte allocation.
///
/// They are far above any model or dataset the tool is meant for (the paper's ResNet-50 at 224
/// pixels on ImageNet-scale data fits with room to spare); the README lists them.
public enum Limits {
    /// Classes of a dataset or classifier head (ImageNet-21k has 21,841).
    public static let classes = 100_000
    /// Side of an image, in pixels (read from files or given to the model).
    public static let imageSide = 4_096
    /// Channels of a stage (`planes`) or of the stem.
    public static let width = 8_192
    /// Input channels of a model (image data has 1 or 3; `model forward` takes any up to this).
    public static let inputChannels = 16
    /// Stages of a ResNet.
    public static let stages = 8
    /// Residual blocks in one stage (ResNet-1202 has 200).
    public static let blocksPerStage = 1_000
    /// Parameters of a model: 4 GB of float32 weights, before gradients and momentum.
    public static let parameters = 1_000_000_000
    /// Images in one dataset split.
    public static let images = 100_000_000
    /// Epochs of a training run.
    public static let epochs = 100_000
    /// Worker threads.
    public static let threads = 1_024
    /// Points on a path or grid evaluated by an analysis (interpolation points, criticality
    /// alphas, basin steps).
    public static let gridPoints = 10_001
    /// Repeated draws of an analysis (basin directions, criticality noise samples) and images
    /// in one picture grid.
    public static let draws = 10_000
    /// Batches of training images that re-estimate BatchNorm statistics.
    public static let statisticsBatches = 100_000
    /// Images in one CKA minibatch (its Gram matrices hold batch^2 doubles per layer: 512 MB).
    public static let ckaBatch = 8_192
    /// Values in one tensor or array read from a file (16 GiB of float32).
    public static let elements = 1 << 32

    /// The product of `factors`, or nil when it overflows `Int` or any factor is negative.
    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (value, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = value
        }
        return result
    }
}
