import TransferscopeCore
import TransferscopeNN

/// Stochastic gradient descent with momentum, Nesterov and weight decay, with PyTorch's exact
/// update rule (`torch.optim.SGD`, dampening 0):
///
///     g = grad + weight_decay * p
///     buf = g                       (first step)
///     buf = momentum * buf + g      (later steps)
///     d = g + momentum * buf        (Nesterov)  or  d = buf
///     p = p - lr * d
public final class SGD {
    /// The constants of the update rule, as in `torch.optim.SGD`; `lr` comes with each `update`.
    public struct Hyperparameters: Equatable, Sendable, Codable {
        /// mu: the factor on the previous momentum buffer; 0 turns momentum (and its buffers) off.
        public var momentum: Float
        /// The L2 factor: weight_decay * p is added to the gradient before momentum (coupled, not AdamW).
        public var weightDecay: Float
        /// Nesterov momentum: step along g + mu * buf instead of buf.
        public var nesterov: Bool

        /// Defaults: momentum 0.9, weight decay 1e-4, no Nesterov (as He et al. 2016 trained ResNets).
        public init(momentum: Float = 0.9, weightDecay: Float = 1e-4, nesterov: Bool = false) {
            self.momentum = momentum
            self.weightDecay = weightDecay
            self.nesterov = nesterov
        }
    }

    /// The parameters updated, with their state-dict names.
    public let parameters: [(name: String, parameter: Parameter)]
    /// Momentum, weight decay and Nesterov; may change between steps (the buffers are kept).
    public var hyperparameters: Hyperparameters
    /// One momentum buffer per parameter; empty until the first step (as PyTorch).
    public private(set) var momentumBuffers: [Tensor?]
    /// Steps taken.
    public private(set) var step = 0

    /// An optimizer over `parameters` with no momentum buffers and no step taken yet.
    public init(parameters: [(name: String, parameter: Parameter)], hyperparameters: Hyperparameters = .init()) {
        self.parameters = parameters
        self.hyperparameters = hyperparameters
        momentumBuffers = Array(repeating: nil, count: parameters.count)
    }

    /// Applies one update with learning rate `learningRate` from the accumulated gradients.
    public func update(learningRate: Float) {
        let (mu, wd, nesterov) = (hyperparameters.momentum, hyperparameters.weightDecay, hyperparameters.nesterov)
        for (index, (_, parameter)) in parameters.enumerated() {
            let count = parameter.value.count
            let p = parameter.value.unsafeMutablePointer
            let grad = parameter.gradient.unsafePointer
            if mu == 0 {
                for i in 0..<count { p[i] -= learningRate * (grad[i] + wd * p[i]) }
                continue
            }
            let isFirst = momentumBuffers[index] == nil
            if isFirst { momentumBuffers[index] = Tensor(uninitializedShape: parameter.value.shape) }
            guard let buf = momentumBuffers[index]?.unsafeMutablePointer else {
                preconditionFailure("SGD.update: no momentum buffer for parameter \(index) after creating it")
            }
            for i in 0..<count {
                let g = grad[i] + wd * p[i]
                let b = isFirst ? g : mu * buf[i] + g
                buf[i] = b
                p[i] -= learningRate * (nesterov ? g + mu * b : b)
            }
        }
        step += 1
    }

    /// Restores the momentum buffers and step count saved from an optimizer over the same parameters.
    public func restore(momentumBuffers buffers: [Tensor?], step: Int) {
        precondition(
            buffers.count == parameters.count,
            "SGD.restore: \(buffers.count) buffers for \(parameters.count) parameters")
        for (buffer, (name, parameter)) in zip(buffers, parameters) {
            if let buffer {
                precondition(
                    buffer.shape == parameter.value.shape,
                    "SGD.restore: buffer for \(name) has shape \(buffer.shape), expected \(parameter.value.shape)")
            }
        }
        momentumBuffers = buffers
        self.step = step
    }
}
