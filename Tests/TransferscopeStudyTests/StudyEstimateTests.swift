import Foundation
import Testing
import TransferscopeData
import TransferscopeNN
import TransferscopeTraining

@testable import TransferscopeStudy

@Suite("Study estimate: the images each node computes, and their cost")
struct StudyEstimateTests {
    static let source = "procedural:side=8,train=96,test=32,classes=4"
    static let target = "procedural:side=8,train=48,test=24,classes=3,shift=0.6"

    /// A micro study whose every count is worked out by hand below: 48 training and 24 test
    /// images of the target (16 per class), two seeds, both controls.
    static func micro() throws -> Study {
        try StudyFile.parse(
            """
            name: estimate-micro
            source: {data: "\(source)", model: resnet8, widths: [4, 4, 4], epochs: 2, batch_size: 32}
            targets:
              - {data: "\(target)"}
            recipe: {epochs: 3, batch_size: 16}
            seeds: [0, 1]
            analyses:
              shuffle: {block_sizes: [8, 2, 1], epochs: 1}
              cka: {images: 20}
              interpolation: {points: 3, train_images: 30, bn_batches: 2}
              criticality: {alphas: 6, sigmas: [0.5, 1], samples: 2, train_images: 24}
              checkpoints: {source_epochs: [0, 2], epochs: 2}
              sizes: {per_class: [8, 16], epochs: 2}
            """, path: "micro.yaml")
    }

    static func shapes(_ study: Study) throws -> [String: DatasetShape] {
        var shapes: [String: DatasetShape] = [:]
        for specification in study.dataSpecifications {
            shapes[specification] = try #require(
                try DatasetShape.withoutReadingImages(DatasetSource(parsing: specification)))
        }
        return shapes
    }

    static func workload(_ study: Study) throws -> (StudyPlan, StudyWorkload) {
        let plan = try StudyPlan(study, version: "1")
        return (plan, StudyWorkload(study: study, plan: plan, data: try shapes(study)))
    }

    /// Costs that make seconds easy to check: 1 s per trained image, 0.1 per evaluated, 0.01 per compared.
    static let costs = ImageCosts(trained: [16: 1, 32: 1], evaluated: 0.1, compared: 0.01, threads: 1)

    @Test("Every node kind's images, counted by hand on the micro study")
    func handCounts() throws {
        let (_, workload) = try Self.workload(try Self.micro())
        let name = "procedural-side-8-train-48-test-24-classes-3-shift-0-6"
        func work(_ id: String) throws -> ImageWork { try #require(workload.work[id], "no work for \(id)") }
        /// An experiment's work: its parts' (`id/...`); the node that gathers them does none.
        func experiment(_ id: String) throws -> ImageWork {
            #expect(try work(id) == ImageWork())
            let parts = workload.work.filter { $0.key.hasPrefix(id + "/") }
            #expect(!parts.isEmpty)
            return parts.values.reduce(ImageWork(), +)
        }
        #expect(workload.unknown.isEmpty)
        // P: 96 images, 3 steps of 32 per epoch, 2 epochs; 3 evaluations of 32 test + 96 training images.
        #expect(try work("pretrain") == ImageWork(trained: [32: 192], evaluated: 3 * (32 + 96)))
        // A target run: 48 images, 3 steps of 16, 3 epochs; 4 evaluations of 24 test + 48 training images.
        let run = ImageWork(trained: [16: 144], evaluated: 4 * (24 + 48))
        for id in ["PT-s0", "RIT-s1", "RIT-same-s0", "RIT-ptlr-s1"] { #expect(try work("\(name)/\(id)") == run) }
        // Shuffle: 3 block sizes (no pixel shuffle of 1 channel) x 2 seeds x 2 kinds, 1 epoch each.
        #expect(try experiment("\(name)/shuffle") == ImageWork(trained: [16: 12 * 48], evaluated: 12 * 2 * 72))
        // A part per block size and seed: P-T and RI-T; the pixel shuffle's parts train nothing on 1 channel.
        #expect(try work("\(name)/shuffle/b2-s1") == ImageWork(trained: [16: 2 * 48], evaluated: 2 * 2 * 72))
        #expect(try work("\(name)/shuffle/pixel-s0") == ImageWork())
        // Checkpoints: 2 source epochs x 2 seeds, P-T runs of 2 epochs.
        #expect(try experiment("\(name)/checkpoints") == ImageWork(trained: [16: 4 * 96], evaluated: 4 * 3 * 72))
        #expect(try work("\(name)/checkpoints/epoch-2-s0") == ImageWork(trained: [16: 96], evaluated: 3 * 72))
        // Mistakes: the 2 P-T and 2 RI-T runs on the 24 test images.
        #expect(try work("\(name)/mistakes") == ImageWork(evaluated: 4 * 24))
        // CKA: P with 2 P-T runs, and the paper's pairs (1 P-T/P-T, 2 P-T/RI-T, 1 RI-T/RI-T), on 20 images.
        #expect(try work("\(name)/cka") == ImageWork(compared: 6 * 20))
        #expect(try work("\(name)/distances") == ImageWork())
        // Interpolation: 4 pairs plus 1 same-init pair; endpoints 2 x (30 + 24), then each of 3 points
        // re-estimates BatchNorm on 1 batch of 48 (48 / 48 = 1 batch fits) and evaluates 30 + 24.
        #expect(try work("\(name)/interpolation") == ImageWork(evaluated: 5 * (2 * 54 + 3 * (48 + 54))))
        // Criticality: 4 runs; 24 training images (8 per class); resnet8 has 5 modules; per module the
        // 6 alphas, then 2 draws per check: 2 sigmas at alpha 1 plus one bisection of ceil(log2 6) = 3.
        #expect(try work("\(name)/criticality") == ImageWork(evaluated: 4 * 24 * (1 + 5 * (6 + 2 * (2 + 3)))))
        // Domain distance: P's features of the 32 source test, 48 target training and 24 target test images.
        #expect(try work("\(name)/domain") == ImageWork(evaluated: 32 + 48 + 24))
        // Sizes: 8 and 16 per class of 3 classes (24 and 48 images: 1 and 3 steps of 16) x 2 epochs, x 2
        // seeds x 2 kinds; 3 evaluations of the 24 test images and the 24 or 48 training images.
        #expect(
            try experiment("\(name)/sizes")
                == ImageWork(trained: [16: 4 * (16 * 2 + 48 * 2)], evaluated: 4 * (3 * (24 + 24) + 3 * (24 + 48))))
    }

    @Test(
        "The selected image counts are those TrainingSelection keeps of the data",
        arguments: [
            TrainingSelection(), TrainingSelection(perClass: 5), TrainingSelection(subsample: 37),
            TrainingSelection(perClass: 11, subsample: 20), TrainingSelection(subsample: 500),
        ])
    func selections(selection: TrainingSelection) throws {
        let data = try DatasetSource(parsing: "procedural:side=8,train=101,test=10,classes=7").load().splits.train
        let shape = try #require(
            try DatasetShape.withoutReadingImages(
                DatasetSource(parsing: "procedural:side=8,train=101,test=10,classes=7")))
        #expect(shape.trainClassCounts == data.classCounts)
        var seeded = selection
        seeded.seed = 0
        #expect(StudyWorkload.selected(shape.trainClassCounts, seeded) == seeded.apply(to: data).classCounts)
    }

    @Test("A prepared dataset's shape comes from its headers")
    func preparedShape() throws {
        let folder = try DataFolder()
        defer { folder.remove() }
        let splits = try DatasetSource(parsing: "procedural:side=9,channels=3,train=40,test=13,classes=4").load().splits
        try DatasetCache.save(splits.train, to: folder.path + "/train.safetensors")
        try DatasetCache.save(splits.test, to: folder.path + "/test.safetensors")
        let shape = try DatasetShape.prepared(
            train: folder.path + "/train.safetensors", test: folder.path + "/test.safetensors")
        #expect(
            shape == DatasetShape(trainClassCounts: [10, 10, 10, 10], testImages: 13, height: 9, width: 9, channels: 3))
        #expect(throws: DataError.self) {
            try DatasetShape.prepared(train: folder.path + "/train.safetensors", test: "/nonexistent")
        }
    }

    @Test("Cached nodes cost nothing to run; the whole plan still counts them")
    func cachedNodes() throws {
        let (plan, workload) = try Self.workload(try Self.micro())
        let none = StudyEstimate(plan: plan, workload: workload, costs: Self.costs, done: [])
        #expect(none.secondsToRun == none.secondsOfPlan && none.secondsToRun > 0)
        let runs = Set(plan.nodes.filter { $0.kind.isTargetRun || $0.kind == .pretrain }.map(\.id))
        let trained = StudyEstimate(plan: plan, workload: workload, costs: Self.costs, done: runs)
        let runSeconds = runs.reduce(0.0) { $0 + (none.seconds[$1] ?? 0) }
        #expect(runSeconds > 0)
        #expect(abs(trained.secondsToRun - (none.secondsOfPlan - runSeconds)) < 1e-9)
        #expect(trained.secondsOfPlan == none.secondsOfPlan)
        #expect(!trained.secondsToRunByGroup.contains { $0.group == "target runs" || $0.group == "pre-training" })
        let all = StudyEstimate(plan: plan, workload: workload, costs: Self.costs, done: Set(plan.nodes.map(\.id)))
        #expect(all.secondsToRun == 0 && all.secondsToRunByGroup.isEmpty)
    }

    @Test("Doubling the seeds doubles the target runs' time")
    func doubledSeeds() throws {
        var study = try Self.micro()
        func groups(_ study: Study) throws -> [String: Double] {
            let (plan, workload) = try Self.workload(study)
            let estimate = StudyEstimate(plan: plan, workload: workload, costs: Self.costs, done: [])
            return Dictionary(uniqueKeysWithValues: estimate.secondsToRunByGroup.map { ($0.group, $0.seconds) })
        }
        let two = try groups(study)
        study.seeds = [0, 1, 2, 3]
        let four = try groups(study)
        let (runsTwo, runsFour) = (try #require(two["target runs"]), try #require(four["target runs"]))
        // 8 runs of 144 trained and 288 evaluated images each at 1 s and 0.1 s per image.
        #expect(abs(runsTwo - 8 * (144 + 28.8)) < 1e-9)
        #expect(abs(runsFour - 2 * runsTwo) < 1e-9)
        #expect(four["pre-training"] == two["pre-training"])
    }

    @Test("The summary names the groups to run, the whole plan and the measured costs")
    func lines() throws {
        let (plan, workload) = try Self.workload(try Self.micro())
        let done = Set(plan.nodes.filter { $0.kind == .pretrain }.map(\.id))
        let lines = StudyEstimate(plan: plan, workload: workload, costs: Self.costs, done: done).lines
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("Estimated wall time on this machine (1 thread): "))
        // 18 nodes and the experiments' 16 parts: shuffle 4 settings (pixel too), checkpoints 2 source epochs,
        // sizes 2 sizes, each with 2 seeds.
        #expect(lines[0].contains("for the 33 nodes to run (target runs 23 min, domain distance 10 s, shuffle sweep"))
        #expect(lines[0].hasSuffix("for the whole plan of 34 nodes"))
        #expect(
            lines[1].contains("1000.00 ms/image trained (batch 16)") && lines[1].contains("100.00 ms/image evaluated"))
        // A target whose size is unknown leaves its nodes out, and says why.
        var shapes = try Self.shapes(try Self.micro())
        shapes[Self.target] = nil
        let partial = StudyEstimate(
            plan: plan, workload: StudyWorkload(study: try Self.micro(), plan: plan, data: shapes), costs: Self.costs,
            done: [], unknownData: [Self.target: "not prepared yet"])
        #expect(
            partial.lines.count == 3 && partial.lines[2].contains("33 node(s)")
                && partial.lines[2].contains("not prepared yet"))
    }

    @Test("Measured costs: positive, one per batch size, with the measuring time")
    func measuredCosts() throws {
        let architecture = try #require(
            ResNetConfiguration.named("resnet8", inputChannels: 1, classes: 4, widths: [4, 4, 4]))
        let costs = try ImageCosts.measure(
            architecture: architecture, side: 8, batchSizes: [16, 32, 16], threads: 2, seconds: 0.01)
        #expect(Set(costs.trained.keys) == [16, 32] && costs.trained.values.allSatisfy { $0 > 0 })
        #expect(costs.evaluated > 0 && costs.compared > 0 && costs.threads == 2 && costs.measurementSeconds > 0)
        // Batches of 16 at the nearest measured size.
        #expect(costs.seconds(ImageWork(trained: [20: 10])) == 10 * (costs.trained[16] ?? 0))
    }
}
