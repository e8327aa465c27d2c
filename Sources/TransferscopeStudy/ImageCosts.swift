import Foundation
import TransferscopeAnalysis
import TransferscopeCore
import TransferscopeData
import TransferscopeNN
import TransferscopeOptimizers

/// Seconds per image of each kind of work (`ImageWork`), measured on this machine by `measure`.
public struct ImageCosts: Sendable, Equatable {
    /// Seconds per trained image (forward, backward, SGD step, batch loading), by batch size.
    public var trained: [Int: Double]
    /// Seconds per image evaluated (an inference-mode forward pass in batches of 256).
    public var evaluated: Double
    /// Seconds per image compared by CKA (two forward passes capturing activations, Gram matrices).
    public var compared: Double
    /// The worker threads the costs were measured with.
    public var threads: Int
    /// Seconds the measurement took (0 for costs given).
    public var measurementSeconds: Double

    /// Costs as given.
    public init(
        trained: [Int: Double], evaluated: Double, compared: Double, threads: Int, measurementSeconds: Double = 0
    ) {
        self.trained = trained
        self.evaluated = evaluated
        self.compared = compared
        self.threads = threads
        self.measurementSeconds = measurementSeconds
    }

    /// The seconds `work` takes at these costs; images trained at a batch size not measured cost
    /// as at the nearest one measured.
    public func seconds(_ work: ImageWork) -> Double {
        let training = work.trained.reduce(0.0) { total, entry in
            let nearest = trained.min { abs($0.key - entry.key) < abs($1.key - entry.key) }
            return total + Double(entry.value) * (nearest?.value ?? 0)
        }
        return training + Double(work.evaluated) * evaluated + Double(work.compared) * compared
    }

    /// Measures the costs of `architecture` on `side` x `side` inputs with `threads` workers: a
    /// few SGD steps at each of `batchSize` (random images of the procedural generator, cropped
    /// and flipped as the trainer does), a few inference batches of 256, and one CKA comparison
    /// of 256 images on the layers CKA compares (every block's output with `everyBlock`). Each measurement
    /// follows one untimed call (buffers allocated, caches warm) and lasts about `seconds`.
    public static func measure(
        architecture: ResNetConfiguration, side: Int, batchSizes: [Int], everyBlock: Bool = true,
        kernel: CKA.Kernel = .linear, threads: Int, seconds: Double = 0.25
    ) throws -> ImageCosts {
        let start = Date()
        return try Parallel.withWorkers(threads) {
            var generator = RandomGenerator(seed: 0)
            let model = ResNet(architecture, generator: &generator)
            let largest = max(256, batchSizes.max() ?? 0)
            let channels = architecture.inputChannels
            let images = Preprocessing(side: side, channels: channels, normalization: .identity(channels: channels))
                .prepare(
                    ProceduralDataset(side: side, channels: channels, classes: max(2, min(10, architecture.classes)))
                        .generate(count: largest))
            let optimizer = SGD(parameters: model.namedState.parameters)
            var trained: [Int: Double] = [:]
            for batchSize in Set(batchSizes) where batchSize >= 2 {
                var logitsGradient = Tensor(shape: [batchSize, architecture.classes])
                var epoch = 0
                trained[batchSize] =
                    timed(seconds) {
                        let (inputs, labels) = BatchLoader.batch(
                            images, indices: Array(0..<batchSize), augmentation: Augmentation(), epoch: epoch)
                        model.zeroGradients()
                        let logits = model.forward(inputs, training: true)
                        _ = CrossEntropy.forwardBackward(
                            logits: logits.unsafePointer, labels: labels, classes: architecture.classes,
                            logitsGradient: logitsGradient.unsafeMutablePointer)
                        model.backward(logitsGradient)
                        optimizer.update(learningRate: 0.01)
                        epoch += 1
                    } / Double(batchSize)
            }
            let batch = BatchLoader.batch(images, indices: Array(0..<256))
            let evaluated = timed(seconds) { _ = model.inference(batch.inputs) } / 256
            let layers = FeatureSimilarity.defaultLayers(of: model, everyBlock: everyBlock)
            let compared =
                try timed(seconds, warmUp: false) {
                    _ = try FeatureSimilarity.compute(
                        model, model, images: images, indices: Array(0..<256), layersA: layers, layersB: layers,
                        kernel: kernel)
                } / 256
            return ImageCosts(
                trained: trained, evaluated: evaluated, compared: compared, threads: threads,
                measurementSeconds: Date().timeIntervalSince(start))
        }
    }

    /// Mean seconds per call of `body` over calls that last at least `seconds` together (at most
    /// 3 calls, at least 1), after one untimed call when `warmUp`.
    static func timed(_ seconds: Double, warmUp: Bool = true, _ body: () throws -> Void) rethrows -> Double {
        if warmUp { try body() }
        let start = Date()
        var calls = 0
        repeat {
            try body()
            calls += 1
        } while calls < 3 && Date().timeIntervalSince(start) < seconds
        return Date().timeIntervalSince(start) / Double(calls)
    }
}
