import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeData
import TransferscopeIO
import TransferscopeTraining

@testable import TransferscopeStudy

@Suite("Studies from a given P", .serialized)
struct GivenSourceTests {
    static let sourceData = "procedural:side=8,train=192,test=64,classes=4"

    /// Pre-trains a small P (2 epochs, every checkpoint kept) into `directory`, as `transferscope train` would.
    static func trainP(into directory: String) throws {
        var source = Study.Source()
        source.data = sourceData
        source.model = "resnet8"
        source.widths = [4, 8, 8]
        source.epochs = 2
        source.batchSize = 32
        let data = try DatasetSource(parsing: sourceData).load().splits
        try Trainer(configuration: try source.setup(threads: 2).configuration(for: data), directory: directory)
            .run(data: data)
    }

    static func study(source: String, analyses: String) -> String {
        """
        name: given
        source: \(source)
        targets:
          - {data: "procedural:side=8,train=96,test=48,classes=3,shift=0.6,seed=4"}
        recipe: {epochs: 1, batch_size: 16}
        seeds: [0, 1]
        controls: {same_init: false, scratch_at_pt_lr: false}
        analyses:
        \(analyses)
        """
    }

    static let analyses = """
          shuffle: false
          cka: {images: 32}
          interpolation: {points: 3, train_images: 32, bn_batches: 1}
          criticality: {alphas: 2, sigmas: [0.5], samples: 1, train_images: 32}
          checkpoints: {epochs: 1}
          domain: {images: 48, resamples: 20}
        """

    @Test(
        """
        `source: {run: DIR}` with its data: nothing is pre-trained, P's files are adopted byte for byte, its curve and \
        accuracy kept, and every analysis runs, the checkpoint choice over the run's epochs
        """
    )
    func givenRun() throws {
        let root = StudyRunTests.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.trainP(into: root + "/P")
        let study = try StudyFile.parse(
            Self.study(source: "{run: \(root)/P, data: \"\(Self.sourceData)\"}", analyses: Self.analyses),
            path: "given.yaml")
        #expect(study.source.given?.checkpoints.keys.sorted() == [0, 1, 2])
        let runner = try StudyRunner(study: study, directory: root + "/study")
        var trainedLabels: Set<String> = []
        runner.onTraining = { event in if case .started = event { trainedLabels.insert("run") } }
        var started: [String] = []
        runner.onProgress = { _, _, id, message in if message == "running" { started.append(id) } }
        try runner.run()
        #expect(started.first == "pretrain" && !trainedLabels.isEmpty)
        // The pre-training node trains nothing: its directory holds the adopted files only.
        let pretrainFiles = try FileManager.default.contentsOfDirectory(atPath: runner.pretrainDirectory).sorted()
        #expect(
            pretrainFiles == [
                "checkpoints", "final.safetensors", "metrics.jsonl", "source-evaluation.json", "summary.json",
            ])
        let adopted = try Data(contentsOf: URL(fileURLWithPath: runner.sourceCheckpoint))
        #expect(adopted == (try Data(contentsOf: URL(fileURLWithPath: root + "/P/final.safetensors"))))
        let results = try StudyResults.load(from: root + "/study")
        let summary = try RunResults.summary(of: root + "/P")
        #expect(results.sourceFinalAccuracy == summary.finalTestAccuracy)
        #expect(results.source.points.count == 3)
        #expect(results.sourceArchitecture?.name == "resnet8")
        let target = try #require(results.targets.first)
        #expect(target.domain != nil && target.cka != nil && target.interpolation != nil && target.criticality != nil)
        #expect(Set(target.checkpoints?.runs.map(\.setting) ?? []) == ["0", "1", "2"])
        let html = try String(contentsOfFile: root + "/study/report.html", encoding: .utf8)
        #expect(html.contains("given P \(root)/P") && html.contains("Which source checkpoint"))
    }

    @Test(
        """
        `source: {checkpoint: P}` without data: no domain distance and no checkpoint choice are planned, P's source \
        accuracy is unknown, the report still renders; with images of other classes only the distance is measured; \
        a rewritten P changes every key
        """
    )
    func givenCheckpointWithoutData() throws {
        let root = StudyRunTests.directory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.trainP(into: root + "/P")
        let file = root + "/P/final.safetensors"
        let study = try StudyFile.parse(
            Self.study(
                source: "{checkpoint: \(file)}",
                analyses: """
                      shuffle: false
                      cka: false
                      interpolation: false
                      criticality: false
                    """), path: "given.yaml")
        #expect(study.source.data == nil && study.dataSpecifications.count == 1)
        let plan = try StudyPlan(study, version: "test")
        #expect(!plan.nodes.contains { $0.kind == .domain || $0.kind == .checkpoints })
        // `study status` estimates from P's own architecture and input, with no source data.
        let estimate = try StudyEstimate.measure(study: study, plan: plan, done: [], threads: 2)
        #expect(estimate.seconds.count == plan.nodes.count && estimate.seconds["pretrain"] == 0)
        #expect(estimate.seconds.filter { $0.key.hasSuffix("PT-s0") }.allSatisfy { $0.value > 0 })
        try StudyRunner(study: study, directory: root + "/study").run()
        let results = try StudyResults.load(from: root + "/study")
        #expect(results.sourceFinalAccuracy == nil && results.source.points.isEmpty)
        #expect(results.targets.first?.domain == nil && results.targets.first?.mistakes != nil)
        #expect(MarkdownScorecard.render(results).contains("source data not given"))
        #expect(FileManager.default.fileExists(atPath: root + "/study/report.html"))

        // Source images of other classes than P's head: the distance is measured, P's accuracy is not.
        let unlabelled = try StudyFile.parse(
            Self.study(
                source: "{checkpoint: \(file), data: \"procedural:side=8,train=96,test=48,classes=3,seed=9\"}",
                analyses: """
                      shuffle: false
                      cka: false
                      interpolation: false
                      criticality: false
                      domain: {images: 48, resamples: 20}
                    """), path: "given.yaml")
        try StudyRunner(study: unlabelled, directory: root + "/unlabelled").run()
        let measured = try StudyResults.load(from: root + "/unlabelled")
        #expect(measured.sourceFinalAccuracy == nil && measured.targets.first?.domain != nil)
        #expect(MarkdownScorecard.render(measured).contains("the data's classes are not its head's"))

        // Another P in the same file: every node's key changes (its size or time is part of P's key).
        try FileManager.default.removeItem(atPath: file)
        try FileManager.default.copyItem(atPath: root + "/P/checkpoints/epoch-0000.safetensors", toPath: file)
        let replanned = try StudyPlan(study, version: "test")
        for (old, new) in zip(plan.nodes, replanned.nodes) { #expect(old.key != new.key, "\(old.id)") }
    }

    @Test("A given source refuses pre-training settings, two ways of giving P, and `fit` on data that is no folder")
    func refusals() throws {
        func error(_ source: String, target: String = "{data: \"procedural:side=8\"}") -> String? {
            let text = "source: \(source)\ntargets:\n  - \(target)\n"
            do {
                _ = try StudyFile.parse(text, path: "s.yaml")
                return nil
            } catch { return error.localizedDescription }
        }
        #expect(error("{checkpoint: p.safetensors, epochs: 3}")?.contains("`epochs` sets P's pre-training") == true)
        #expect(error("{checkpoint: p.safetensors, run: runs/P}")?.contains("gives P twice") == true)
        #expect(error("{checkpoints: {a: p.safetensors}}")?.contains("source epochs") == true)
        #expect(error("{run: /no/such/run}")?.contains("no final.safetensors") == true)
        #expect(
            error("{checkpoint: p.safetensors}", target: "{data: \"procedural:side=8\", fit: crop}")?.contains(
                "`fit` applies to a folder") == true)
        let study = try StudyFile.parse(
            "source: {checkpoints: {0: a.safetensors, 30: b.safetensors}}\ntargets: [\"procedural:side=8\"]\n",
            path: "s.yaml")
        #expect(study.source.given?.checkpoint == "b.safetensors" && study.source.given?.checkpoints.count == 2)
        let missing = #expect(throws: StudyError.self) {
            try StudyRunner(study: study, directory: StudyRunTests.directory()).run()
        }
        #expect(missing?.errorDescription?.contains("a.safetensors") == true)
    }
}
