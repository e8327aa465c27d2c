import Foundation
import Testing
import TransferscopeData

@testable import TransferscopeStudy

@Suite("Cache keys cover the data", .serialized)
struct StudyCacheTests {
    /// The ids of the nodes whose key differs between two plans of the same study.
    static func changed(_ before: StudyPlan, _ after: StudyPlan) -> Set<String> {
        precondition(before.nodes.map(\.id) == after.nodes.map(\.id), "the plans have other nodes")
        return Set(zip(before.nodes, after.nodes).filter { $0.key != $1.key }.map(\.0.id))
    }

    static func ids(_ plan: StudyPlan, target: Int) -> Set<String> {
        Set(plan.nodes.filter { $0.target == target }.map(\.id))
    }

    @Test("Editing one target's image folder changes the keys of exactly that target's runs and analyses")
    func folderEdit() throws {
        let folder = try DataFolder()
        defer { folder.remove() }
        try folder.writeImageFolder("shapes", classes: 2, perClass: 2)
        try folder.writeImageFolder("letters", classes: 2, perClass: 2)
        var study = Study()
        study.source.data = "procedural:side=8"
        study.targets = [
            Study.Target(data: folder.path + "/shapes"), Study.Target(data: folder.path + "/letters"),
            Study.Target(data: "procedural:side=8,shift=0.5"),
        ]
        study.seeds = [0, 1]
        let before = try StudyPlan(study, version: "1")
        #expect(try Self.changed(before, StudyPlan(study, version: "1")).isEmpty, "the same data gave other keys")

        try folder.write(try DataFolder.png(label: 1, index: 7), to: "letters/c1/7.png")
        let after = try StudyPlan(study, version: "1")
        let letters = Self.ids(after, target: 1)
        #expect(
            letters.isSuperset(of: [
                "letters/PT-s0", "letters/RIT-s1", "letters/shuffle", "letters/cka", "letters/mistakes",
                "letters/interpolation", "letters/checkpoints",
            ]))
        #expect(Self.changed(before, after) == letters)
        #expect(after.node("letters/PT-s0")?.dataDigest != before.node("letters/PT-s0")?.dataDigest)
        #expect(after.node("pretrain")?.dataDigest == "procedural:side=8")
    }

    @Test("A target's analyses list and controls add or remove nodes; every node left keeps its key")
    func choosingAnalyses() throws {
        var study = Study()
        study.source.data = "procedural:side=8"
        study.targets = [Study.Target(data: "procedural:side=8,shift=0.5")]
        study.seeds = [0, 1]
        let all = try StudyPlan(study, version: "1")
        study.targets[0].analyses = [.shuffle, .mistakes]
        let some = try StudyPlan(study, version: "1")
        #expect(some.nodes.count < all.nodes.count)
        #expect(Set(some.nodes.map(\.kind)).isSuperset(of: [.shuffleSweep, .mistakes, .domain, .fromScratchSameInit]))
        #expect(!some.nodes.contains { $0.kind == .cka || $0.kind == .criticality })
        for node in some.nodes { #expect(all.node(node.id)?.key == node.key, "\(node.id)") }
        study.targets[0].controls = false
        let bare = try StudyPlan(study, version: "1")
        #expect(!bare.nodes.contains { $0.kind == .fromScratchSameInit || $0.kind == .fromScratchAtFineTuneRate })
        for node in bare.nodes { #expect(all.node(node.id)?.key == node.key, "\(node.id)") }
    }

    @Test("A changed source invalidates every node; a changed target only its own")
    func sourceAndTargetDigests() throws {
        var study = Study()
        study.source.data = "procedural:side=8"
        study.targets = [
            Study.Target(data: "procedural:side=8,seed=1"), Study.Target(data: "procedural:side=8,seed=2"),
        ]
        study.seeds = [0]
        let digests = study.dataDigests()
        #expect(
            digests == [
                "procedural:side=8": "procedural:side=8", "procedural:side=8,seed=1": "procedural:seed=1,side=8",
                "procedural:side=8,seed=2": "procedural:seed=2,side=8",
            ])
        let plan = try StudyPlan(study, version: "1", dataDigests: digests)
        #expect(try plan.nodes == StudyPlan(study, version: "1").nodes)

        var source = digests
        source["procedural:side=8"] = "another source"
        #expect(
            try Self.changed(plan, StudyPlan(study, version: "1", dataDigests: source)) == Set(plan.nodes.map(\.id)))
        var target = digests
        target["procedural:side=8,seed=2"] = "another target"
        let second = Self.ids(plan, target: 1)
        #expect(
            try !second.isEmpty && Self.changed(plan, StudyPlan(study, version: "1", dataDigests: target)) == second)
    }

    /// A micro study: a procedural target and an image-folder target (`FOLDER`).
    static func micro(folder: String) -> String {
        """
        name: micro-folder
        source: {data: "procedural:side=8,train=192,test=64,classes=4", model: resnet8, widths: [4, 8, 8], epochs: 1, \
        batch_size: 32}
        targets:
          - {data: "procedural:side=8,train=96,test=48,classes=3,shift=0.6,seed=4"}
          - {data: "\(folder)"}
        recipe: {epochs: 1, batch_size: 16}
        seeds: [0]
        analyses:
          shuffle: {block_sizes: [8], pixel: false, epochs: 1}
          cka: {images: 32}
          interpolation: {points: 3, train_images: 32, bn_batches: 1}
          criticality: {alphas: 2, sigmas: [0.5], samples: 1, train_images: 32}
          checkpoints: {epochs: 1}
        """
    }

    @Test(
        """
        After an image-folder target is edited, `study run` reruns exactly its runs and analyses, and `study report` \
        waits for it
        """
    )
    func rerunAfterEdit() throws {
        let folder = try DataFolder()
        let out = folder.path + "/out"
        defer { folder.remove() }
        try folder.writeImageFolder("shapes", classes: 3, perClass: 16)
        let study = try StudyFile.parse(Self.micro(folder: folder.path + "/shapes"), path: "micro-folder.yaml")
        try StudyRunner(study: study, directory: out).run()
        _ = try StudyRunner(study: study, directory: out).report()
        let samples = out + "/results/shapes/samples.key"
        let samplesKeyBefore = try String(contentsOfFile: samples, encoding: .utf8)

        try folder.write(try DataFolder.png(label: 2, index: 16), to: "shapes/c2/16.png")
        let edited = try StudyRunner(study: study, directory: out)
        let shapes = edited.plan.nodes.filter { $0.target == 1 }.map(\.id)
        #expect(
            shapes == [
                "shapes/PT-s0", "shapes/RIT-s0", "shapes/RIT-same-s0", "shapes/RIT-ptlr-s0", "shapes/domain",
                "shapes/shuffle/b8-s0", "shapes/shuffle",
                "shapes/mistakes", "shapes/cka", "shapes/distances", "shapes/interpolation", "shapes/criticality",
                "shapes/checkpoints/epoch-0-s0", "shapes/checkpoints/epoch-1-s0", "shapes/checkpoints",
            ])
        #expect(edited.plan.nodes.filter { !edited.isDone($0) }.map(\.id) == shapes)
        let refused = #expect(throws: StudyError.self) { try edited.report() }
        #expect(refused?.errorDescription?.contains("shapes/PT-s0") == true)
        #expect(refused?.errorDescription?.contains("pretrain") == false)

        var ran: [String] = []
        edited.onProgress = { _, _, id, message in if message == "running" { ran.append(id) } }
        try edited.run()
        #expect(ran == shapes)
        #expect(edited.plan.nodes.allSatisfy(edited.isDone))
        let results = try StudyResults.load(from: out)
        let shapesResults = try #require(results.targets.last)
        #expect(shapesResults.trainImages + shapesResults.testImages == 49, "the report counts the added image")
        #expect(
            try String(contentsOfFile: samples, encoding: .utf8) != samplesKeyBefore,
            "the samples picture was not redrawn")
        _ = try edited.report()
    }
}
