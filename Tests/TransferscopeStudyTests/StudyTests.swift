import Foundation
import Testing

@testable import TransferscopeStudy

@Suite("Study files and plans")
struct StudyTests {
    static let good = """
        name: test
        source: {data: fashion-mnist, model: resnet20, epochs: 4, checkpoint_epochs: [0, 1, 4]}
        targets:
          - clipart
          - {data: sketch-digits, per_class: 100, flip: false}
        recipe: {epochs: 5, pt_lr: 0.02}
        seeds: [0, 1]
        analyses:
          shuffle: {block_sizes: [28, 7, 1], epochs: 3}
          criticality: false
          cka: {images: 500}
        """

    @Test("A good file parses, with defaults for what it leaves out")
    func good() throws {
        let study = try StudyFile.parse(Self.good, path: "good.yaml")
        #expect(study.name == "test" && study.source.epochs == 4 && study.source.checkpointEpochs == [0, 1, 4])
        #expect(
            study.targets == [
                Study.Target(data: "clipart"),
                {
                    var t = Study.Target(data: "sketch-digits")
                    t.perClass = 100
                    t.flip = false
                    return t
                }(),
            ])
        #expect(study.recipe.epochs == 5 && study.recipe.scratchLearningRate == 0.1)
        #expect(study.seeds == [0, 1])
        #expect(study.analyses.shuffle?.blockSizes == [28, 7, 1] && study.analyses.criticality == nil)
        #expect(
            study.analyses.cka?.images == 500 && study.analyses.cka?.everyBlock == true
                && study.analyses.interpolation != nil)
    }

    @Test(
        "Bad files name the line and what is allowed",
        arguments: [
            ("source: {epoch: 3}\ntargets: [clipart]", 1, "unknown key 'epoch'"),
            ("targets: [clipart]\nseeds: [0, 0]", 2, "distinct seeds"),
            ("targets: [clipart]\nanalyses:\n  interpolation: {bn: average}", 3, "allowed: reestimate"),
            ("targets: [clipart]\nrecipe:\n  epochs: -1", 3, "must lie in 1..."),
            ("source: {model: vgg16}\ntargets: [clipart]", 1, "resnet20"),
            ("targets: [clipart]\nanalyses: {colour: true}", 2, "allowed: shuffle, mistakes"),
            ("name: x", nil, "needs `targets:`"),
            ("targets: [clipart\n", nil, "not valid YAML"),
            ("targets: [clipart]\nsource: {epochs: 2, checkpoint_epochs: [5]}", 2, "beyond"),
            // Issue 10: target choices that would silently do nothing, and empty or repeated seeds.
            ("targets:\n  - {data: clipart, analyses: [sizes]}", 2, "does not run: sizes"),
            ("targets:\n  - {data: clipart, analyses: [cka]}\nanalyses: {cka: false}", 2, "does not run: cka"),
            ("targets:\n  - {data: clipart, analyses: [cka, cka]}", 2, "names an analysis twice"),
            ("targets:\n  - {data: clipart, analyses: [colour]}", 2, "allowed: shuffle"),
            (
                "targets:\n  - {data: clipart, controls: true}\ncontrols: {same_init: false, scratch_at_pt_lr: false}",
                2, "both off"
            ),
            ("targets: [clipart]\nanalyses:\n  shuffle: {seeds: []}", 3, "distinct seeds"),
            ("targets: [clipart]\nanalyses:\n  sizes: {per_class: [5, 5]}", 3, "distinct sizes"),
            // Issue 11: an experiment's parts are named by their settings, which must then differ.
            ("targets: [clipart]\nanalyses:\n  shuffle: {block_sizes: [4, 4]}", 3, "distinct sizes"),
            ("targets: [clipart]\nanalyses:\n  checkpoints: {source_epochs: [0, 2, 0]}", 3, "distinct epochs"),
            ("targets: [clipart]\nanalyses:\n  domain: {resamples: 100000}", 3, "must lie in 10...10000"),
            // Issue 15: values that `study status` accepted and `study run` then crashed on.
            ("targets: [clipart]\nsource: {epochs: 9223372036854775807}", 2, "must lie in 1...100000"),
            ("targets: [clipart]\nsource: {widths: [9223372036854775807, 2, 3]}", 2, "must lie in 1...8192"),
            ("targets: [clipart]\nsource: {model: resnet20, widths: [8000, 8000, 8000]}", 2, "parameters"),
            ("targets: [clipart]\nsource: {model: resnet20, widths: [4, 8]}", 2, "one width per stage"),
            ("targets: [clipart]\nrecipe: {pt_lr: .inf}", 2, "finite number"),
            ("targets: [clipart]\nrecipe: {rit_lr: .nan}", 2, "finite number"),
            ("targets: [clipart]\nrecipe: {pt_lr: -1}", 2, "must be above 0"),
            ("targets:\n  - {data: clipart, per_class: 9223372036854775807}", 2, "must lie in 1..."),
            ("targets: [clipart]\nanalyses:\n  interpolation: {points: 1000000000000}", 3, "must lie in 3...10001"),
            ("targets: [no-such-dataset]", 1, "unknown dataset 'no-such-dataset'"),
            ("targets: [clipart]\nsource: {data: 'procedural:side=nan'}", 2, "side=nan"),
        ] as [(String, Int?, String)])
    func bad(text: String, line: Int?, fragment: String) {
        let error = #expect(throws: StudyError.self) { try StudyFile.parse(text, path: "bad.yaml") }
        let message = error?.errorDescription ?? ""
        #expect(message.contains(fragment), "\(message)")
        if let line { #expect(message.hasPrefix("bad.yaml:\(line):"), "\(message)") }
    }

    @Test("The plan: P, then P-T and RI-T per target and seed, then the analyses that read them")
    func plan() throws {
        let study = try StudyFile.parse(Self.good, path: "good.yaml")
        let plan = try StudyPlan(study, version: "1")
        #expect(plan.nodes.first?.id == "pretrain")
        #expect(
            plan.nodes.filter { $0.kind == .fineTune }.map(\.id) == [
                "clipart/PT-s0", "clipart/PT-s1", "sketch-digits/PT-s0", "sketch-digits/PT-s1",
            ])
        #expect(
            plan.node("clipart/mistakes")?.dependencies == [
                "clipart/PT-s0", "clipart/RIT-s0", "clipart/PT-s1", "clipart/RIT-s1",
            ])
        #expect(plan.node("clipart/criticality") == nil)
        // Dependencies come before their dependents.
        for (index, node) in plan.nodes.enumerated() {
            for dependency in node.dependencies {
                #expect(plan.nodes.prefix(index).contains { $0.id == dependency }, "\(node.id)")
            }
        }
        #expect(Set(plan.nodes.map(\.key)).count == plan.nodes.count)
    }

    @Test("Changing a seed invalidates exactly the results that depend on it")
    func cacheKeys() throws {
        let before = try StudyPlan(try StudyFile.parse(Self.good, path: "a.yaml"), version: "1")
        var study = try StudyFile.parse(Self.good, path: "b.yaml")
        study.seeds = [0, 2]
        let after = try StudyPlan(study, version: "1")
        func key(_ plan: StudyPlan, _ id: String) -> String? { plan.node(id)?.key }
        // Unchanged: P, the seed-0 runs, and what reads neither the seed list nor seed 1.
        for id in ["pretrain", "clipart/PT-s0", "clipart/RIT-s0", "sketch-digits/PT-s0"] {
            #expect(key(before, id) == key(after, id), "\(id)")
        }
        // The experiments' seed-0 parts too: a part's key has its own seed and setting, not the lists.
        let parts = before.nodes.filter { $0.isExperimentPart && $0.seed == 0 }.map(\.id)
        #expect(parts.contains("clipart/shuffle/b7-s0") && parts.contains("clipart/checkpoints/epoch-0-s0"))
        for id in parts { #expect(key(before, id) == key(after, id), "\(id)") }
        #expect(after.node("clipart/shuffle/b7-s2") != nil && before.node("clipart/shuffle/b7-s1") != nil)
        #expect(after.node("clipart/shuffle/b7-s1") == nil)
        // Gone and new: the seed-1 and seed-2 runs.
        #expect(after.node("clipart/PT-s1") == nil && before.node("clipart/PT-s2") == nil)
        // Changed: every analysis over the seeds.
        for id in [
            "clipart/mistakes", "clipart/cka", "clipart/interpolation", "clipart/shuffle", "clipart/checkpoints",
        ] {
            #expect(key(before, id) != key(after, id), "\(id)")
        }
        // A new tool version or a new source recipe invalidates everything downstream.
        let newVersion = try StudyPlan(try StudyFile.parse(Self.good, path: "a.yaml"), version: "2")
        #expect(zip(before.nodes, newVersion.nodes).allSatisfy { $0.key != $1.key })
        var longer = try StudyFile.parse(Self.good, path: "c.yaml")
        longer.source.epochs = 5
        let retrained = try StudyPlan(longer, version: "1")
        #expect(zip(before.nodes, retrained.nodes).allSatisfy { $0.key != $1.key })
        // The same study gives the same keys.
        #expect(try StudyPlan(try StudyFile.parse(Self.good, path: "d.yaml"), version: "1").nodes == before.nodes)
    }
}

@Suite("Study presets")
struct PresetTests {
    @Test("The committed presets parse", arguments: ["quick", "default", "paper", "sizes", "own-model"])
    func preset(name: String) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("studies/\(name).yaml").path
        let study = try StudyFile.load(path)
        #expect(study.name == name && !study.targets.isEmpty && study.seeds.count >= 2)
        // One P, then P-T and RI-T for every target and seed.
        let plan = try StudyPlan(study, version: "1")
        #expect(plan.nodes.filter { $0.kind == .pretrain }.count == 1)
        #expect(plan.nodes.filter { $0.kind == .fineTune }.count == study.targets.count * study.seeds.count)
        #expect(plan.nodes.filter { $0.kind == .fromScratch }.count == study.targets.count * study.seeds.count)
    }

    @Test("The sizes preset pre-trains the default's P (one cache key) and the default has three targets")
    func sizesReusesDefault() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("studies").path
        let (standard, sizes) = (
            try StudyFile.load(folder + "/default.yaml"), try StudyFile.load(folder + "/sizes.yaml")
        )
        let digests = Dictionary(
            uniqueKeysWithValues: Set(standard.dataSpecifications + sizes.dataSpecifications).map { ($0, "digest") })
        let (a, b) = (
            try StudyPlan(standard, version: "1", dataDigests: digests),
            try StudyPlan(sizes, version: "1", dataDigests: digests)
        )
        #expect(a.node("pretrain")?.key == b.node("pretrain")?.key)
        #expect(b.nodes.contains { $0.kind == .sizeSweep } && standard.targets.count >= 3)
    }
}
