import Foundation
import Testing
import TransferscopeCore
import TransferscopeStatistics

@testable import TransferscopeExperiments
@testable import TransferscopeStudy
@testable import TransferscopeTraining

/// The findings' one rule on synthetic results whose truth is known: a clear effect holds, the
/// reverse does not hold, noise is inconclusive, and under pure noise the rate of false "holds"
/// stays at the nominal level.
@Suite("Verdict rule on synthetic results")
struct FindingRuleTests {
    static let seeds: [UInt64] = [0, 1, 2]

    /// A target whose P-T and RI-T runs of each seed reach `pt[i]` and `rit[i]`, learning curves
    /// at the same level throughout (so speed tells the same story as accuracy).
    static func target(pt: [Double], rit: [Double]) -> StudyResults.Target {
        var finals: [String: Double] = [:]
        var curves: [StudyResults.Curve] = []
        for (i, seed) in seeds.enumerated() {
            finals["t/PT-s\(seed)"] = pt[i]
            finals["t/RIT-s\(seed)"] = rit[i]
            curves.append(
                .init(run: "t/PT-s\(seed)", kind: .fineTuned, points: [[0, 0.1], [10, pt[i]], [20, pt[i]]]))
            curves.append(
                .init(run: "t/RIT-s\(seed)", kind: .scratch, points: [[0, 0.1], [10, rit[i]], [20, rit[i]]]))
        }
        return StudyResults.Target(
            name: "t", data: "procedural", classes: ["a", "b"], trainImages: 100, testImages: 1000, curves: curves,
            finalAccuracy: finals)
    }

    static let context = AssessmentContext(
        seeds: seeds, side: 8, sourceCurve: [[0, 0.1], [10, 0.8]], source: Study.Source(), sourceTestImages: 1000)

    /// Normal noise with standard deviation `sd`, from `generator`.
    static func noise(_ count: Int, sd: Double, _ generator: inout RandomGenerator) -> [Double] {
        (0..<count).map { _ in sd * generator.nextNormal() }
    }

    @Test("A clear gain holds, a clear loss does not hold, a gain within the noise is inconclusive")
    func knownTruths() {
        let gain = Finding.pretrainingHelps(
            Self.target(pt: [0.70, 0.72, 0.71], rit: [0.50, 0.51, 0.49]), Self.context)
        #expect(gain.verdict == .holds, "\(gain.reason)")
        #expect(gain.estimate.map { $0.interval.lower > 0 } == true)
        let loss = Finding.pretrainingHelps(
            Self.target(pt: [0.50, 0.51, 0.49], rit: [0.70, 0.72, 0.71]), Self.context)
        #expect(loss.verdict == .doesNotHold, "\(loss.reason)")
        let noisy = Finding.pretrainingHelps(
            Self.target(pt: [0.60, 0.52, 0.66], rit: [0.58, 0.61, 0.55]), Self.context)
        #expect(noisy.verdict == .inconclusive, "\(noisy.reason)")
    }

    @Test("Where pre-training does not help, every other claim of the target is inconclusive and says why")
    func gate() {
        let findings = Finding.assess(
            [Self.target(pt: [0.50, 0.51, 0.49], rit: [0.70, 0.72, 0.71])], context: Self.context)
        #expect(findings.count == Finding.Claim.allCases.count)
        #expect(findings.first?.claim == .pretrainingHelps)
        for finding in findings.dropFirst() where finding.target != Finding.acrossTargets {
            #expect(finding.verdict == .inconclusive)
            #expect(finding.reason.contains("nothing measurable was transferred"))
        }
    }

    @Test("Under pure noise (3 seeds), the gate says holds in at most 5% of 1,000 studies, plus Monte Carlo error")
    func falseHoldsRate() {
        var generator = RandomGenerator(seed: 2026)
        let studies = 1_000
        var holds = 0
        for _ in 0..<studies {
            let base = 0.6
            let pt = Self.noise(3, sd: 0.02, &generator).map { base + $0 }
            let rit = Self.noise(3, sd: 0.02, &generator).map { base + $0 }
            if Finding.pretrainingHelps(Self.target(pt: pt, rit: rit), Self.context).verdict == .holds { holds += 1 }
        }
        let rate = Double(holds) / Double(studies)
        let monteCarloError = (0.05 * 0.95 / Double(studies)).squareRoot()
        #expect(rate <= 0.05 + 3 * monteCarloError, "false holds \(rate) over \(studies) noise-only studies")
        #expect(rate > 0, "a rule that never says holds under noise is suspicious too (\(rate))")
    }

    @Test("Feature reuse: the gap that shrinks under shuffling holds; a gap that grows does not")
    func featureReuse() {
        func sweep(shrink: Double) -> StudyResults.Target {
            var t = Self.target(pt: [0.7, 0.7, 0.7], rit: [0.5, 0.5, 0.5])
            var runs: [RunOutcome] = []
            for (i, seed) in Self.seeds.enumerated() {
                let wobble = [0.004, -0.003, 0.001][i]
                for (setting, pt, rit) in [("b8", 0.70, 0.50), ("b1", 0.70 - shrink + wobble, 0.50)] {
                    runs.append(
                        RunOutcome(
                            kind: .fineTuned, seed: seed, setting: setting, directory: "", finalTestAccuracy: pt,
                            curve: [], stepsToFraction: nil))
                    runs.append(
                        RunOutcome(
                            kind: .fromScratch, seed: seed, setting: setting, directory: "", finalTestAccuracy: rit,
                            curve: [], stepsToFraction: nil))
                }
            }
            t.shuffle = ExperimentResult(runs: runs, summary: TransferExperiments.summarize(runs))
            return t
        }
        #expect(Finding.featureReuse(sweep(shrink: 0.15), Self.context).verdict == .holds)
        #expect(Finding.featureReuse(sweep(shrink: -0.15), Self.context).verdict == .doesNotHold)
        #expect(Finding.featureReuse(sweep(shrink: 0.0), Self.context).verdict == .inconclusive)
    }
}
