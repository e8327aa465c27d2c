import Testing
import TransferscopeCore
import TransferscopeNN
import TransferscopeOptimizers

@Suite("SGD and learning-rate schedules")
struct SGDTests {
    /// Three steps by hand with PyTorch's rule (dampening 0), for one scalar.
    @Test("PyTorch's update rule, plain and Nesterov", arguments: [false, true])
    func updateRule(nesterov: Bool) {
        let p = Parameter(Tensor(shape: [1], scalars: [1]))
        let sgd = SGD(
            parameters: [("p", p)], hyperparameters: .init(momentum: 0.9, weightDecay: 0.1, nesterov: nesterov))
        var value = 1.0
        var buffer = 0.0
        for (step, grad) in [0.5, -0.25, 2.0].enumerated() {
            p.gradient = Tensor(shape: [1], scalars: [Float(grad)])
            sgd.update(learningRate: 0.1)
            let g = grad + 0.1 * value
            buffer = step == 0 ? g : 0.9 * buffer + g
            value -= 0.1 * (nesterov ? g + 0.9 * buffer : buffer)
            #expect(abs(Double(p.value[flat: 0]) - value) < 1e-6, "step \(step)")
        }
    }

    @Test("without momentum: p -= lr * (g + wd * p)")
    func plain() {
        let p = Parameter(Tensor(shape: [2], scalars: [1, -2]))
        p.gradient = Tensor(shape: [2], scalars: [0.5, 0.5])
        SGD(parameters: [("p", p)], hyperparameters: .init(momentum: 0, weightDecay: 0.5)).update(learningRate: 0.1)
        let expected: [Float] = [0.9, -1.95]  // 1 - 0.1 * (0.5 + 0.5), -2 - 0.1 * (0.5 - 1)
        #expect(zip(p.value.scalars, expected).allSatisfy { abs($0 - $1) < 1e-7 })
    }

    @Test("multi-step, cosine and warm-up schedules")
    func schedules() {
        let step = LearningRateSchedule(base: 0.1, kind: .multiStep(milestones: [30, 60], gamma: 0.1))
        #expect(step.rate(atEpoch: 0) == 0.1)
        #expect(abs(step.rate(atEpoch: 29.99) - 0.1) < 1e-12)
        #expect(abs(step.rate(atEpoch: 30) - 0.01) < 1e-12)
        #expect(abs(step.rate(atEpoch: 75) - 0.001) < 1e-12)
        let cosine = LearningRateSchedule(base: 0.2, kind: .cosine(totalEpochs: 10, minimum: 0))
        #expect(cosine.rate(atEpoch: 0) == 0.2)
        #expect(abs(cosine.rate(atEpoch: 5) - 0.1) < 1e-12)
        #expect(abs(cosine.rate(atEpoch: 10)) < 1e-12)
        let warm = LearningRateSchedule(base: 0.1, kind: .constant, warmupEpochs: 2, warmupStartFactor: 0.1)
        #expect(abs(warm.rate(atEpoch: 0) - 0.01) < 1e-12)
        #expect(abs(warm.rate(atEpoch: 1) - 0.055) < 1e-12)
        #expect(warm.rate(atEpoch: 2) == 0.1)
    }
}
