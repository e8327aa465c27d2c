import Foundation
import TransferscopeCore
import TransferscopeData
import TransferscopeNN

/// Arithmetic on whole models of one architecture: the weight-space moves the analyses make.
public enum WeightSpace {
    /// Checks that `models` share `work`'s architecture.
    static func requireSameArchitecture(_ work: ResNet, _ models: [ResNet]) throws {
        for model in models where model.configuration != work.configuration {
            throw AnalysisError.shapeMismatch(
                "the models differ in architecture: "
                    + "\(model.configuration.differences(from: work.configuration)); give checkpoints of one "
                    + "architecture"
            )
        }
    }

    /// Sets `work`'s parameters to (1 - lambda) a + lambda b; buffers too if `buffers`. The
    /// counters (num_batches_tracked) take a's.
    public static func interpolate(into work: ResNet, _ a: ResNet, _ b: ResNet, lambda: Double, buffers: Bool) {
        let (sa, sb, sw) = (a.namedState, b.namedState, work.namedState)
        let (wa, wb) = (Float(1 - lambda), Float(lambda))
        func mix(_ x: Tensor, _ y: Tensor, into z: inout Tensor) {
            let (p, q, r) = (x.unsafePointer, y.unsafePointer, z.unsafeMutablePointer)
            for i in 0..<x.count { r[i] = wa * p[i] + wb * q[i] }
        }
        for i in 0..<sw.parameters.count {
            mix(
                sa.parameters[i].parameter.value, sb.parameters[i].parameter.value,
                into: &sw.parameters[i].parameter.value)
        }
        for i in 0..<sw.buffers.count where buffers {
            mix(sa.buffers[i].buffer.value, sb.buffers[i].buffer.value, into: &sw.buffers[i].buffer.value)
        }
        for i in 0..<sw.counters.count { sw.counters[i].counter.value = sa.counters[i].counter.value }
    }

    /// Copies every tensor and counter of `source` into `work`.
    public static func copy(_ source: ResNet, into work: ResNet) {
        let (s, w) = (source.namedState, work.namedState)
        for i in 0..<w.parameters.count { w.parameters[i].parameter.value = s.parameters[i].parameter.value }
        for i in 0..<w.buffers.count { w.buffers[i].buffer.value = s.buffers[i].buffer.value }
        for i in 0..<w.counters.count { w.counters[i].counter.value = s.counters[i].counter.value }
    }

    /// Re-estimates every BatchNorm's running statistics of `model` on training images: the
    /// statistics are reset and recomputed as the exact average over `batches` fixed batches of
    /// `batchSize` images (chosen by `seed`, no augmentation), in training-mode forward passes
    /// that keep nothing for a backward pass. Weights and counters are left as they were.
    public static func reestimateBatchNorm(
        _ model: ResNet, images: PreparedImages, batches: Int, batchSize: Int, seed: UInt64 = 0
    ) {
        let counters = model.namedState.counters.map(\.counter.value)
        let norms = model.batchNorms
        let momenta = norms.map(\.momentum)
        for norm in norms {
            norm.resetRunningStatistics()
            norm.momentum = nil
        }
        var generator = RandomGenerator(seed: seed).derived(.batchNormReestimation)
        let order = Split.shuffle(Array(0..<images.count), generator: &generator)
        let size = min(batchSize, images.count)
        for b in 0..<max(1, min(batches, images.count / max(size, 1))) {
            let indices = Array(order[(b * size)..<((b + 1) * size)])
            _ = model.forward(
                BatchLoader.batch(images, indices: indices).inputs, training: true, capturing: [],
                keepingForBackward: false)
        }
        for (norm, momentum) in zip(norms, momenta) { norm.momentum = momentum }
        for (counter, value) in zip(model.namedState.counters, counters) { counter.counter.value = value }
    }
}
