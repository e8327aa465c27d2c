import Testing
import TransferscopeCore
import TransferscopeNN

/// Central finite differences against a layer's backward pass.
///
/// The scalar checked is L = sum_i y_i * r_i for a fixed random r, so dL/dy = r. Forward passes
/// run in Float, the sum in Double. A quotient at step h is off by about roundoff / h (the
/// forward's float32 rounding, which changes with the kernels' summation order, so with the
/// processor and the BLAS) plus curvature (h^2) plus, where a ReLU or max-pool kink lies within
/// the step, a bias that does not shrink like h^2. No one step is safe from all three, so each
/// coordinate is measured at three steps (2h, h, h/2), and the gradient must agree with one of five
/// estimates (the three quotients and the two Richardson extrapolations of adjacent steps) that
/// another of them corroborates. A wrong gradient is off by far more (tens of percent) and agrees
/// with none. See `check`.
struct GradientCheck {
    init(step: Float = 3e-3, absoluteTolerance: Float = 3e-3) {
        self.step = step
        self.absoluteTolerance = absoluteTolerance
    }

    var step: Float = 3e-3
    var relativeTolerance: Float = 2e-2
    var absoluteTolerance: Float = 3e-3
    /// Coordinates checked per tensor (all of them when the tensor is smaller).
    var samples = 24

    /// Checks d(sum(forward() * r))/d(target) for each target against `analytic`.
    /// - forward: runs the layer on the current values.
    /// - backward: given dL/dy = r, returns (or accumulates) the analytic gradients.
    /// - targets: (name, read value, write value, analytic gradient) for inputs and parameters.
    func check(
        _ label: String,
        forward: () -> Tensor,
        backward: (Tensor) -> Void,
        targets: [(name: String, get: () -> Tensor, set: (Tensor) -> Void, gradient: () -> Tensor)],
        generator: inout RandomGenerator
    ) {
        let output = forward()
        let r = Tensor.randomNormal(shape: output.shape, using: &generator)
        backward(r)
        func loss() -> Double {
            let y = forward()
            var total = 0.0
            for i in 0..<y.count { total += Double(y[flat: i]) * Double(r[flat: i]) }
            return total
        }
        for target in targets {
            let analytic = target.gradient()
            var value = target.get()
            let indices =
                value.count <= samples
                ? Array(0..<value.count)
                : (0..<samples).map { _ in Int(generator.next() % UInt64(value.count)) }
            var worst: Float = 0
            var skipped = 0
            var nonzeroChecked = 0
            func difference(_ index: Int, _ h: Float) -> Float {
                let original = value[flat: index]
                value[flat: index] = original + h
                target.set(value)
                let plus = loss()
                value[flat: index] = original - h
                target.set(value)
                let minus = loss()
                value[flat: index] = original
                target.set(value)
                return Float((plus - minus) / Double(2 * h))
            }
            for index in indices {
                // The quotients at 2h, h and h/2: the largest has the least roundoff, the smallest
                // is least biased by curvature and crosses the fewest kinks. Richardson
                // extrapolation (4 D(h/2) - D(h)) / 3 cancels the h^2 term, large where BatchNorm
                // over few values is strongly curved. An estimate counts only where another one
                // agrees with it (a lone quotient may be all curvature or all roundoff), and the
                // analytic gradient must agree with one that counts. If it agrees with none and the
                // two extrapolations disagree too (which curvature alone cannot cause), a kink lies
                // within the steps and the point is skipped (at most a quarter of them may be).
                let quotients = [2 * step, step, step / 2].map { difference(index, $0) }
                let extrapolations = [(4 * quotients[1] - quotients[0]) / 3, (4 * quotients[2] - quotients[1]) / 3]
                let estimates = quotients + extrapolations
                let exact = analytic[flat: index]
                #expect(
                    estimates.allSatisfy { $0.isFinite },
                    "\(label) d/d\(target.name)[\(index)]: difference quotients \(quotients) are not finite")
                func tolerance(_ a: Float, _ b: Float) -> Float {
                    absoluteTolerance + relativeTolerance * max(abs(a), abs(b))
                }
                let corroborated = estimates.indices.filter { i in
                    estimates.indices.contains { j in
                        j != i && abs(estimates[i] - estimates[j]) <= tolerance(estimates[i], estimates[j])
                    }
                }
                let ratio =
                    corroborated.map { abs(estimates[$0] - exact) / tolerance(estimates[$0], exact) }.min() ?? .infinity
                let kink = abs(extrapolations[0] - extrapolations[1]) > tolerance(exact, exact) / 4
                if ratio > 1 && kink {
                    skipped += 1
                    continue
                }
                if exact != 0 { nonzeroChecked += 1 }
                worst = max(worst, ratio)
                #expect(
                    ratio <= 1,
                    """
                    \(label) d/d\(target.name)[\(index)]: analytic \(exact) vs quotients at 2h, h, h/2 \
                    \(quotients) and extrapolations \(extrapolations) (\(ratio) x the allowed error)
                    """)
            }
            #expect(
                nonzeroChecked > 0,
                "\(label) \(target.name): every gradient checked is 0, so the check could not fail")
            #expect(
                skipped * 4 <= indices.count, "\(label) \(target.name): \(skipped) of \(indices.count) points at kinks")
            #expect(worst <= 1, "\(label) \(target.name): worst error \(worst) of the allowed")
        }
    }

    /// A target for a parameter: its value and accumulated gradient.
    static func parameter(_ name: String, _ p: Parameter) -> (
        name: String, get: () -> Tensor, set: (Tensor) -> Void, gradient: () -> Tensor
    ) {
        (name, { p.value }, { p.value = $0 }, { p.gradient })
    }
}

/// Holds an input tensor and the gradient a backward pass returned for it.
final class InputSlot {
    var value: Tensor
    var gradient = Tensor()
    init(_ value: Tensor) { self.value = value }

    var target: (name: String, get: () -> Tensor, set: (Tensor) -> Void, gradient: () -> Tensor) {
        ("input", { self.value }, { self.value = $0 }, { self.gradient })
    }
}
