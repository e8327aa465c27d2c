import Foundation
import Testing
import TransferscopeCore
import TransferscopeStatistics

@testable import TransferscopeAnalysis
@testable import TransferscopeExperiments
@testable import TransferscopeStudy
@testable import TransferscopeTraining

/// The claims across targets on synthetic results whose truth is known: a gain that grows as
/// targets get closer holds, one that shrinks does not hold, a flat one is inconclusive; the
/// targets are ordered by their measured distance, not by the study's order; fewer than three
/// targets decide nothing and say why.
@Suite("Cross-target findings on synthetic results")
struct CrossTargetFindingTests {
    static let seeds: [UInt64] = [0, 1, 2]
    static let wobble = [0.01, -0.008, 0.003]

    /// A domain distance with Fréchet distance `frechet` (the other fields do not matter here).
    static func domain(_ frechet: Double) -> DomainDistance {
        DomainDistance(
            frechet: frechet, frechetMeanTerm: frechet / 2, frechetCovarianceTerm: frechet / 2, sourceTrace: 1,
            relativeFrechet: frechet, frechetLower: frechet * 0.9, frechetUpper: frechet * 1.1, level: 0.95,
            resamples: 200, probeAccuracy: 0.5, probeTrainAccuracy: 0.6, chance: 0.1, classes: 10, probeL2: 1e-3,
            probeIterations: 10, sourceImages: 100, targetImages: 100, probeTrainImages: 100, featureWidth: 8, seed: 0)
    }

    /// Target `name` at distance `distance`, where P-T beats RI-T by `gain` (plus per-seed noise),
    /// and block shuffling at b = 1 takes `shrink` of that gain away.
    static func target(_ name: String, distance: Double?, gain: Double, shrink: Double = 0) -> StudyResults.Target {
        var finals: [String: Double] = [:]
        var curves: [StudyResults.Curve] = []
        var runs: [RunOutcome] = []
        for (i, seed) in seeds.enumerated() {
            let (pt, rit) = (0.5 + gain + wobble[i], 0.5)
            finals["\(name)/PT-s\(seed)"] = pt
            finals["\(name)/RIT-s\(seed)"] = rit
            curves.append(.init(run: "\(name)/PT-s\(seed)", kind: .fineTuned, points: [[0, 0.1], [10, pt]]))
            curves.append(.init(run: "\(name)/RIT-s\(seed)", kind: .scratch, points: [[0, 0.1], [10, rit]]))
            for (setting, ptAccuracy) in [("b8", pt), ("b1", pt - shrink - wobble[i])] {
                runs.append(
                    RunOutcome(
                        kind: .fineTuned, seed: seed, setting: setting, directory: "", finalTestAccuracy: ptAccuracy,
                        curve: [], stepsToFraction: nil, trainLoss: [[0, 2.3], [10, 1.0], [20, 0.5]]))
                runs.append(
                    RunOutcome(
                        kind: .fromScratch, seed: seed, setting: setting, directory: "", finalTestAccuracy: rit,
                        curve: [], stepsToFraction: nil,
                        trainLoss: [[0, 2.3], [10, 1.5], [20, 0.5 + 0.01 * Double(i)]]))
            }
        }
        var t = StudyResults.Target(
            name: name, data: "procedural", classes: ["a", "b"], trainImages: 100, testImages: 1000, curves: curves,
            finalAccuracy: finals)
        t.domain = distance.map(domain)
        t.shuffle = ExperimentResult(runs: runs, summary: TransferExperiments.summarize(runs))
        return t
    }

    static let context = AssessmentContext(
        seeds: seeds, side: 8, sourceCurve: [[0, 0.1], [10, 0.8]], source: Study.Source(), sourceTestImages: 1000)

    static func finding(_ claim: Finding.Claim, _ targets: [StudyResults.Target]) -> Finding? {
        Finding.crossTarget(targets, context: context).first { $0.claim == claim }
    }

    @Test("A gain growing as targets get closer holds, a shrinking one does not hold, a flat one is inconclusive")
    func benefitTrend() throws {
        // Listed far to near, so that only the distances can put them in order.
        let growing = [
            Self.target("far", distance: 9, gain: 0.02), Self.target("mid", distance: 4, gain: 0.15),
            Self.target("near", distance: 1, gain: 0.30),
        ]
        let holds = try #require(Self.finding(.benefitGrowsWithCloseness, growing))
        #expect(holds.verdict == .holds, "\(holds.reason)")
        #expect(holds.target == Finding.acrossTargets)
        // The least-squares line of the gains over the distances 1, 4, 9 (numpy.polyfit), risen over 8.
        #expect(abs((holds.estimate?.effect ?? 0) - 0.27265306122449) < 1e-9)
        #expect(holds.estimate?.n == 9)
        #expect(holds.evidence.contains("near (distance 1) 30.") && holds.evidence.contains("in order"))
        let shrinking = [
            Self.target("far", distance: 9, gain: 0.30), Self.target("mid", distance: 4, gain: 0.15),
            Self.target("near", distance: 1, gain: 0.02),
        ]
        #expect(Self.finding(.benefitGrowsWithCloseness, shrinking)?.verdict == .doesNotHold)
        let flat = [
            Self.target("far", distance: 9, gain: 0.15), Self.target("mid", distance: 4, gain: 0.16),
            Self.target("near", distance: 1, gain: 0.15),
        ]
        #expect(Self.finding(.benefitGrowsWithCloseness, flat)?.verdict == .inconclusive)
    }

    @Test(
        "Feature reuse across targets: a shrink under shuffling larger for closer targets holds; the reverse does not")
    func reuseTrend() {
        let closerLoseMore = [
            Self.target("a", distance: 1, gain: 0.3, shrink: 0.25),
            Self.target("b", distance: 5, gain: 0.3, shrink: 0.1),
            Self.target("c", distance: 8, gain: 0.3, shrink: 0.0),
        ]
        #expect(Self.finding(.reuseGrowsWithCloseness, closerLoseMore)?.verdict == .holds)
        let closerLoseLess = [
            Self.target("a", distance: 8, gain: 0.3, shrink: 0.25),
            Self.target("b", distance: 5, gain: 0.3, shrink: 0.1),
            Self.target("c", distance: 1, gain: 0.3, shrink: 0.0),
        ]
        #expect(Self.finding(.reuseGrowsWithCloseness, closerLoseLess)?.verdict == .doesNotHold)
    }

    @Test("The farthest target's speed at b = 1 is judged on the farthest target by distance")
    func farthestSpeed() throws {
        // Listed out of order: y is the farthest by distance, and the claim reads y's sweep.
        let targets = [
            Self.target("x", distance: 3, gain: 0.1), Self.target("y", distance: 12, gain: 0.1),
            Self.target("z", distance: 6, gain: 0.1),
        ]
        let finding = try #require(Self.finding(.farTargetLowLevel, targets))
        #expect(finding.evidence.hasPrefix("on y, the farthest target"))
        #expect(finding.target == Finding.acrossTargets)
        // Every run reaches the common loss at the same logged step: no spread, nothing decided.
        #expect(finding.verdict == .inconclusive && finding.reason.contains("logging resolution"))
        // Where pre-training does not help the farthest target, the claim is gated as on the target.
        let gated = [
            Self.target("x", distance: 3, gain: 0.1), Self.target("y", distance: 12, gain: 0),
            Self.target("z", distance: 6, gain: 0.1),
        ]
        let finding2 = try #require(Self.finding(.farTargetLowLevel, gated))
        #expect(
            finding2.verdict == .inconclusive && finding2.reason.contains("nothing measurable was transferred to y"))
    }

    @Test("A middle target out of order still counts in the trend, and the evidence says it is not in order")
    func middleOutOfOrder() throws {
        let targets = [
            Self.target("near", distance: 1, gain: 0.30), Self.target("mid", distance: 3, gain: 0.0),
            Self.target("far", distance: 9, gain: 0.02),
        ]
        let finding = try #require(Self.finding(.benefitGrowsWithCloseness, targets))
        #expect(finding.evidence.contains("not in order") && finding.estimate?.n == 9)
        // The middle target pulls the line down: less than the closest-minus-farthest 0.28.
        #expect((finding.estimate?.effect ?? 1) < 0.28)
    }

    @Test("Fewer than three targets with a distance decide nothing across targets, and say why")
    func tooFewTargets() {
        let two = [Self.target("a", distance: 1, gain: 0.3), Self.target("b", distance: 5, gain: 0.0)]
        let unmeasured = two + [Self.target("c", distance: nil, gain: 0.1)]
        for targets in [two, unmeasured] {
            let findings = Finding.crossTarget(targets, context: Self.context)
            #expect(findings.count == 3)
            for finding in findings {
                #expect(finding.verdict == .inconclusive)
                #expect(finding.reason.contains("this study has 2"), "\(finding.reason)")
                #expect(finding.estimate == nil)
            }
        }
    }

    @Test("Targets are ordered by distance, closest first, ties in the study's order, unmeasured ones left out")
    func ordering() {
        let targets = [
            Self.target("a", distance: 5, gain: 0), Self.target("b", distance: nil, gain: 0),
            Self.target("c", distance: 1, gain: 0), Self.target("d", distance: 5, gain: 0),
        ]
        #expect(Finding.closestFirst(targets).map(\.name) == ["c", "a", "d"])
    }
}
