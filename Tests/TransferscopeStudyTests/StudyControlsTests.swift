import Foundation
import Testing
import TransferscopeAnalysis
import TransferscopeIO

@testable import TransferscopeStudy

@Suite("Study controls: RI-T from one shared initialization, RI-T at P-T's rate", .serialized)
struct StudyControlsTests {
    @Test("`controls:` parses, both on by default; a bad key or value names its line")
    func parsing() throws {
        let plain = try StudyFile.parse(StudyTests.good, path: "good.yaml")
        #expect(plain.controls.sameInit && plain.controls.scratchAtFineTuneRate)
        let off = try StudyFile.parse("targets: [clipart]\ncontrols: {same_init: false}", path: "c.yaml")
        #expect(!off.controls.sameInit && off.controls.scratchAtFineTuneRate)
        let both = try StudyFile.parse(
            "targets: [clipart]\ncontrols:\n  same_init: false\n  scratch_at_pt_lr: false", path: "c.yaml")
        #expect(!both.controls.sameInit && !both.controls.scratchAtFineTuneRate)
        for (text, line, fragment) in [
            ("targets: [clipart]\ncontrols: {same_seed: false}", 2, "allowed: same_init, scratch_at_pt_lr"),
            ("targets: [clipart]\ncontrols:\n  scratch_at_pt_lr: 3", 3, "must be true or false"),
            ("targets: [clipart]\ncontrols: false", 2, "must be a mapping"),
        ] {
            let error = #expect(throws: StudyError.self) { try StudyFile.parse(text, path: "bad.yaml") }
            let message = error?.errorDescription ?? ""
            #expect(message.hasPrefix("bad.yaml:\(line):") && message.contains(fragment), "\(message)")
        }
    }

    @Test("The plan: the control runs per target and seed, read by the distances and the interpolation")
    func plan() throws {
        let study = try StudyFile.parse(StudyTests.good, path: "good.yaml")
        let plan = try StudyPlan(study, version: "1")
        #expect(
            plan.nodes.filter { $0.target == 0 && $0.kind.isTargetRun }.map(\.id) == [
                "clipart/PT-s0", "clipart/RIT-s0", "clipart/PT-s1", "clipart/RIT-s1", "clipart/RIT-same-s0",
                "clipart/RIT-same-s1", "clipart/RIT-ptlr-s0", "clipart/RIT-ptlr-s1",
            ])
        #expect(plan.node("clipart/RIT-same-s1")?.kind == .fromScratchSameInit)
        #expect(plan.node("clipart/RIT-same-s1")?.seed == 1)
        #expect(plan.node("clipart/RIT-ptlr-s0")?.kind == .fromScratchAtFineTuneRate)
        for id in ["clipart/RIT-same-s0", "clipart/RIT-ptlr-s1", "sketch-digits/RIT-same-s1"] {
            #expect(plan.node(id)?.dependencies == ["pretrain"], "\(id)")
        }
        let runs = ["clipart/PT-s0", "clipart/RIT-s0", "clipart/PT-s1", "clipart/RIT-s1"]
        let sameInit = ["clipart/RIT-same-s0", "clipart/RIT-same-s1"]
        #expect(plan.node("clipart/distances")?.dependencies == ["pretrain"] + runs + sameInit)
        #expect(plan.node("clipart/interpolation")?.dependencies == runs + sameInit)
        // The other analyses read P-T and RI-T only.
        #expect(plan.node("clipart/mistakes")?.dependencies == runs)
        #expect(plan.node("clipart/cka")?.dependencies == ["pretrain"] + runs)
        #expect(Set(plan.nodes.map(\.key)).count == plan.nodes.count)
    }

    /// The ids of the nodes of `before` that `after` lacks, and of those whose key differs.
    static func difference(_ before: StudyPlan, _ after: StudyPlan) -> (removed: Set<String>, changed: Set<String>) {
        let removed = Set(before.nodes.map(\.id)).subtracting(after.nodes.map(\.id))
        let changed = Set(after.nodes.filter { before.node($0.id)?.key != $0.key }.map(\.id))
        return (removed, changed)
    }

    @Test("Turning a control off removes exactly its nodes; only the analyses that read them get other keys")
    func turningOff() throws {
        let study = try StudyFile.parse(StudyTests.good, path: "good.yaml")
        let plan = try StudyPlan(study, version: "1")
        var noRate = study
        noRate.controls.scratchAtFineTuneRate = false
        let withoutRate = Self.difference(plan, try StudyPlan(noRate, version: "1"))
        #expect(withoutRate.removed == Set(plan.nodes.filter { $0.kind == .fromScratchAtFineTuneRate }.map(\.id)))
        #expect(withoutRate.removed.count == 4 && withoutRate.changed.isEmpty)
        var noSameInit = study
        noSameInit.controls.sameInit = false
        let withoutSameInit = Self.difference(plan, try StudyPlan(noSameInit, version: "1"))
        #expect(withoutSameInit.removed == Set(plan.nodes.filter { $0.kind == .fromScratchSameInit }.map(\.id)))
        #expect(withoutSameInit.removed.count == 4)
        #expect(
            withoutSameInit.changed == [
                "clipart/distances", "clipart/interpolation", "sketch-digits/distances", "sketch-digits/interpolation",
            ])
        // Both off: the plan of P-T and RI-T alone, their keys as with the controls on.
        var neither = noSameInit
        neither.controls.scratchAtFineTuneRate = false
        let bare = try StudyPlan(neither, version: "1")
        #expect(!bare.nodes.contains { [.fromScratchSameInit, .fromScratchAtFineTuneRate].contains($0.kind) })
        for node in bare.nodes where node.kind.isTargetRun || node.kind == .pretrain {
            #expect(plan.node(node.id)?.key == node.key, "\(node.id)")
        }
    }

    /// Two seeds, the controls on, only the analyses that read them.
    static let micro = """
        name: micro-controls
        source: {data: "procedural:side=8,train=192,test=64,classes=4", model: resnet8, widths: [4, 8, 8], epochs: 1, \
        batch_size: 32}
        targets:
          - {data: "procedural:side=8,train=96,test=48,classes=3,shift=0.6,seed=4"}
        recipe: {epochs: 1, batch_size: 16}
        seeds: [0, 1]
        analyses:
          shuffle: false
          mistakes: false
          cka: false
          criticality: false
          checkpoints: false
          interpolation: {points: 3, train_images: 32, bn_batches: 1}
        """

    @Test(
        """
        A micro study with the controls: same-init runs start from identical weights and end apart, their pairs are \
        in the distances and the interpolation, and every control run's curve and accuracy in results.json
        """
    )
    func microStudy() throws {
        let out = StudyRunTests.directory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let study = try StudyFile.parse(Self.micro, path: "micro-controls.yaml")
        let runner = try StudyRunner(study: study, directory: out)
        try runner.run()
        let name = StudyPlan.targetName(study, 0)
        func tensors(_ id: String, _ file: String) throws -> [String: SafeTensors.Entry] {
            let node = try #require(runner.plan.node("\(name)/\(id)"))
            return try SafeTensors(contentsOf: runner.runDirectory(node) + "/" + file).entries
        }
        let start = "checkpoints/epoch-0000.safetensors"
        #expect(try tensors("RIT-same-s0", start) == tensors("RIT-same-s1", start))
        #expect(try tensors("RIT-same-s0", "final.safetensors") != tensors("RIT-same-s1", "final.safetensors"))
        #expect(try tensors("RIT-same-s0", start) != tensors("RIT-s0", start))
        // RI-T at P-T's rate starts where the RI-T run of its seed does; only the rate differs.
        #expect(try tensors("RIT-ptlr-s1", start) == tensors("RIT-s1", start))
        #expect(try tensors("RIT-ptlr-s1", "final.safetensors") != tensors("RIT-s1", "final.safetensors"))

        let results = try StudyResults.load(from: out)
        let target = try #require(results.targets.first)
        #expect(target.curves.count == 4 && target.finalAccuracy.count == 4)
        let controls = ["RIT-same-s0", "RIT-same-s1", "RIT-ptlr-s0", "RIT-ptlr-s1"].map { "\(name)/\($0)" }
        #expect(target.controlCurves?.map(\.run) == controls)
        #expect(
            target.controlCurves?.map(\.kind) == [
                .scratchSameInit, .scratchSameInit, .scratchAtFineTuneRate, .scratchAtFineTuneRate,
            ])
        #expect(target.controlCurves?.allSatisfy { $0.points.count == 2 } == true)
        #expect(Set(target.controlFinalAccuracy?.keys ?? [:].keys) == Set(controls))
        let distances = try #require(target.distances)
        #expect(
            distances.filter { $0.kind == .scratchSameInitPair }.map { [$0.a, $0.b] } == [
                [controls[0], controls[1]]
            ])
        #expect(distances.filter { $0.kind == .scratchSameInitAndStart }.map(\.a) == Array(controls.prefix(2)))
        #expect(distances.filter { $0.kind == .scratchSameInitPair }.allSatisfy { $0.value.total > 0 })
        let interpolation = try #require(target.interpolation)
        #expect(interpolation.filter { $0.kind == .scratchSameInitPair }.count == 1)
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        for text in ["RI-T/RI-T same init", "RI-T same init/start", SVGChart.sameInitColour, "RI-T at P-T rate"] {
            #expect(html.contains(SVGChart.escape(text)), "\(text)")
        }
    }

    @Test("With both controls off a study trains P-T and RI-T alone and its report draws without them")
    func controlsOff() throws {
        let out = StudyRunTests.directory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let text = Self.micro.replacingOccurrences(
            of: "seeds: [0, 1]", with: "seeds: [0, 1]\ncontrols: {same_init: false, scratch_at_pt_lr: false}")
        let study = try StudyFile.parse(text, path: "micro-off.yaml")
        try StudyRunner(study: study, directory: out).run()
        let target = try #require(try StudyResults.load(from: out).targets.first)
        #expect(target.controlCurves == [] && target.controlFinalAccuracy == [:])
        #expect(
            target.distances?.contains { $0.kind == .scratchSameInitPair || $0.kind == .scratchSameInitAndStart }
                == false)
        #expect(target.interpolation?.contains { $0.kind == .scratchSameInitPair } == false)
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("Performance barriers") && !html.contains("RI-T/RI-T same init"))
    }
}
