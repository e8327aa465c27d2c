import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeNN
import TransferscopeOptimizers

/// A quadratic Bezier curve between two solutions (Garipov et al. 2018), beyond the paper:
///
///     theta(t) = (1 - t)^2 theta_a + 2 t (1 - t) theta_c + t^2 theta_b,   t in [0, 1],
///
/// with the control point theta_c (started at the midpoint) trained by SGD to minimize the loss
/// at points t drawn uniformly for each batch: d loss / d theta_c = 2 t (1 - t) d loss / d theta(t).
/// A low-loss curve between two solutions that a straight line separates by a barrier shows
/// they lie in one connected valley.
public struct BezierCurve {
    /// theta_a: the curve's start (t = 0), not modified.
    public let a: ResNet
    /// theta_b: the curve's end (t = 1), not modified.
    public let b: ResNet
    /// The control point's model (its BatchNorm statistics are not used).
    public let control: ResNet

    /// A curve with its control point at the midpoint of `a` and `b`; throws if their architectures differ.
    public init(_ a: ResNet, _ b: ResNet) throws {
        var generator = RandomGenerator(seed: 0)
        control = ResNet(a.configuration, generator: &generator)
        try WeightSpace.requireSameArchitecture(control, [b])
        self.a = a
        self.b = b
        WeightSpace.interpolate(into: control, a, b, lambda: 0.5, buffers: true)
    }

    /// Sets `work`'s parameters to theta(t).
    public func point(into work: ResNet, t: Double) {
        let (ca, cc, cb) = (Float((1 - t) * (1 - t)), Float(2 * t * (1 - t)), Float(t * t))
        let (sa, sb, sc, sw) = (a.namedState, b.namedState, control.namedState, work.namedState)
        for i in 0..<sw.parameters.count {
            let (pa, pb, pc) = (
                sa.parameters[i].parameter.value.unsafePointer, sb.parameters[i].parameter.value.unsafePointer,
                sc.parameters[i].parameter.value.unsafePointer
            )
            let pw = sw.parameters[i].parameter.value.unsafeMutablePointer
            for j in 0..<sw.parameters[i].parameter.value.count { pw[j] = ca * pa[j] + cc * pc[j] + cb * pb[j] }
        }
    }

    /// The training-mode loss of the batch at theta(t), with d loss / d theta_c = 2 t (1 - t)
    /// d loss / d theta(t) written into the control point's gradients. `work` is set to theta(t).
    func lossAndControlGradient(at t: Double, work: ResNet, inputs: Tensor, labels: [Int], logitsGradient: inout Tensor)
        -> Float
    {
        point(into: work, t: t)
        work.zeroGradients()
        let logits = work.forward(inputs, training: true)
        let loss = CrossEntropy.forwardBackward(
            logits: logits.unsafePointer, labels: labels, classes: a.configuration.classes,
            logitsGradient: logitsGradient.unsafeMutablePointer)
        work.backward(logitsGradient)
        let factor = Float(2 * t * (1 - t))
        for (c, w) in zip(control.namedState.parameters, work.namedState.parameters) {
            let (pc, pw) = (c.parameter.gradient.unsafeMutablePointer, w.parameter.gradient.unsafePointer)
            for j in 0..<c.parameter.gradient.count { pc[j] = factor * pw[j] }
        }
        return loss
    }

    /// Trains the control point for `epochs` over `images` (augmentation as given), SGD with
    /// `learningRate` (cosine to 0) and `hyperparameters`; returns the mean training loss of each epoch.
    @discardableResult
    public func train(
        on images: PreparedImages, epochs: Int, batchSize: Int = 128, learningRate: Double = 0.05,
        hyperparameters: SGD.Hyperparameters = .init(), augmentation: Augmentation = .none, seed: UInt64 = 0,
        progress: (Int, Double) -> Void = { _, _ in }
    ) -> [Double] {
        var generator = RandomGenerator(seed: 0)
        let work = ResNet(a.configuration, generator: &generator)
        let optimizer = SGD(parameters: control.namedState.parameters, hyperparameters: hyperparameters)
        let schedule = LearningRateSchedule(base: learningRate, kind: .cosine(totalEpochs: Double(epochs), minimum: 0))
        let steps = max(1, images.count / batchSize)
        var draws = RandomGenerator(seed: seed).derived(.bezierDraws)
        var dLogits = Tensor(shape: [batchSize, a.configuration.classes])
        var losses: [Double] = []
        for epoch in 0..<epochs {
            let order = BatchLoader.epochOrder(count: images.count, seed: seed, epoch: epoch)
            var total = 0.0
            for step in 0..<steps {
                let t = draws.nextUniform()
                let indices = Array(order[(step * batchSize)..<((step + 1) * batchSize)])
                let (inputs, labels) = BatchLoader.batch(
                    images, indices: indices, augmentation: augmentation, seed: seed, epoch: epoch)
                total += Double(
                    lossAndControlGradient(at: t, work: work, inputs: inputs, labels: labels, logitsGradient: &dLogits))
                optimizer.update(
                    learningRate: Float(schedule.rate(atEpoch: Double(epoch) + Double(step) / Double(steps))))
            }
            let loss = total / Double(steps)
            losses.append(loss)
            progress(epoch + 1, loss)
        }
        return losses
    }

    /// The curve evaluated at `ts` like an interpolation line (BatchNorm statistics re-estimated
    /// at every point when `interpolation.batchNorm` is `.reestimate`; else those of the nearer endpoint).
    public func evaluate(at ts: [Double], with interpolation: Interpolation) throws -> InterpolationCurve {
        var generator = RandomGenerator(seed: 0)
        let work = ResNet(a.configuration, generator: &generator)
        let endpoints = [try interpolation.evaluate(a, lambda: 0), try interpolation.evaluate(b, lambda: 1)]
        let points = try ts.map { t -> CurvePoint in
            WeightSpace.copy(t < 0.5 ? a : b, into: work)
            point(into: work, t: t)
            if interpolation.batchNorm == .reestimate {
                WeightSpace.reestimateBatchNorm(
                    work, images: interpolation.train, batches: interpolation.estimationBatches,
                    batchSize: interpolation.batchSize)
            }
            return try interpolation.evaluate(work, lambda: t)
        }
        return InterpolationCurve(points: points, endpoints: endpoints, batchNorm: interpolation.batchNorm)
    }
}
