import Foundation

/// A learning rate as a function of training progress in epochs (fractional: step / steps per epoch).
public struct LearningRateSchedule: Equatable, Sendable, Codable {
    /// The shape of the schedule after warm-up.
    public enum Kind: Equatable, Sendable, Codable {
        /// base throughout.
        case constant
        /// base * gamma^(number of milestones <= floor(epoch)), as `MultiStepLR` stepped per epoch.
        case multiStep(milestones: [Int], gamma: Double)
        /// minimum + (base - minimum) * (1 + cos(pi * epoch / totalEpochs)) / 2, as `CosineAnnealingLR`
        /// (evaluated at the fractional epoch, so it decays smoothly within an epoch).
        case cosine(totalEpochs: Double, minimum: Double)
    }

    /// The peak learning rate: the rate once warm-up has ended and before any decay.
    public var base: Double
    /// The decay after warm-up: constant, multi-step or cosine.
    public var kind: Kind
    /// Epochs of linear warm-up (0: none): the rate is multiplied by a factor rising linearly
    /// from `warmupStartFactor` at epoch 0 to 1 at `warmupEpochs`, as PyTorch's `LinearLR`.
    public var warmupEpochs: Double
    /// The warm-up factor at epoch 0 (default 0.1), as `start_factor` of PyTorch's `LinearLR`.
    public var warmupStartFactor: Double

    /// A schedule from `base`; with `warmupEpochs` 0 (the default) there is no warm-up.
    public init(base: Double, kind: Kind = .constant, warmupEpochs: Double = 0, warmupStartFactor: Double = 0.1) {
        self.base = base
        self.kind = kind
        self.warmupEpochs = warmupEpochs
        self.warmupStartFactor = warmupStartFactor
    }

    /// The rate at fractional epoch `epoch` (>= 0).
    public func rate(atEpoch epoch: Double) -> Double {
        var rate: Double
        switch kind {
        case .constant:
            rate = base
        case .multiStep(let milestones, let gamma):
            let passed = milestones.filter { Double($0) <= epoch.rounded(.down) }.count
            rate = base * pow(gamma, Double(passed))
        case .cosine(let total, let minimum):
            let t = min(max(epoch, 0), total)
            rate = minimum + (base - minimum) * (1 + cos(Double.pi * t / total)) / 2
        }
        if warmupEpochs > 0 && epoch < warmupEpochs {
            rate *= warmupStartFactor + (1 - warmupStartFactor) * max(epoch, 0) / warmupEpochs
        }
        return rate
    }
}

/// The schedules a user names (a `--schedule` flag, a study's `schedule:`).
public enum ScheduleName: String, Codable, Sendable, CaseIterable {
    /// The base rate throughout.
    case constant
    /// The base rate times `gamma` at each milestone epoch (default milestones: half and three
    /// quarters of the epochs), as the paper's ImageNet pre-training (x0.1 at 30 and 60 of 90).
    case step
    /// Cosine annealing from the base rate to 0 over the epochs, as the paper's fine-tuning.
    case cosine
}

extension LearningRateSchedule {
    /// The milestones of the step schedule when none are given: half and three quarters of `epochs`.
    public static func defaultMilestones(epochs: Int) -> [Int] { [max(1, epochs / 2), max(1, epochs * 3 / 4)] }

    /// The schedule `name` over `epochs` epochs from `base`; `milestones` (nil: the defaults) and
    /// `gamma` shape the step schedule, `warmupEpochs` adds a linear warm-up to any.
    public static func named(
        _ name: ScheduleName, base: Double, epochs: Int, milestones: [Int]? = nil, gamma: Double = 0.1,
        warmupEpochs: Double = 0
    ) -> LearningRateSchedule {
        let kind: Kind
        switch name {
        case .constant: kind = .constant
        case .step: kind = .multiStep(milestones: milestones ?? defaultMilestones(epochs: epochs), gamma: gamma)
        case .cosine: kind = .cosine(totalEpochs: Double(epochs), minimum: 0)
        }
        return LearningRateSchedule(base: base, kind: kind, warmupEpochs: warmupEpochs)
    }
}
