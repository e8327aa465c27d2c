import Testing
import TransferscopeCore
import TransferscopeNN

/// Central finite differences against a layer's backward pass.
///
/// The scalar checked is L = sum_i y_i * r_i for a fixed random r, so dL/dy = r. Forward passes
/// run in Float, the sum in Double; with step h the numeric error is about (roundoff / h) + h^2,
/// which the tolerance allows (a wrong gradient is off by far more: tens of percent).
/// See `check` for how curvature and kinks are handled.
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
                // Richardson extrapolation (4 D(h/2) - D(h)) / 3 cancels the h^2 error term, which
                // is large where BatchNorm over few values is strongly curved. If it still
                // disagrees and the two step sizes disagree too, a ReLU or max-pool kink lies
                // within the step: the quotient does not measure the derivative, so the point is
                // skipped (at most a quarter of them may be).
                let coarse = difference(index, step)
                let fine = difference(index, step / 2)
                let numeric = (4 * fine - coarse) / 3
                let exact = analytic[flat: index]
                let allowed = absoluteTolerance + relativeTolerance * max(abs(numeric), abs(exact))
                if abs(numeric - exact) > allowed && abs(coarse - fine) > allowed / 4 {
                    skipped += 1
                    continue
                }
                worst = max(worst, abs(numeric - exact) / allowed)
                #expect(
                    abs(numeric - exact) <= allowed,
                    "\(label) d/d\(target.name)[\(index)]: numeric \(numeric) vs analytic \(exact)")
            }
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
