import Foundation
import Testing
import TransferscopeAnalysis
import TransferscopeCore
import TransferscopeIO
import TransferscopeTraining

@testable import TransferscopeStudy

@Suite("Study runs and the report", .serialized)
struct StudyRunTests {
    /// Every analysis, on procedural data small enough for a test.
    static let micro = """
        name: micro
        source: {data: "procedural:side=8,train=192,test=64,classes=4", model: resnet8, widths: [4, 8, 8], epochs: 1, \
        batch_size: 32}
        targets:
          - {data: "procedural:side=8,train=96,test=48,classes=3,shift=0.6,seed=4"}
        recipe: {epochs: 1, batch_size: 16}
        seeds: [0, 1]
        analyses:
          shuffle: {block_sizes: [8, 1], epochs: 1}
          cka: {images: 32}
          interpolation: {points: 3, train_images: 32, bn_batches: 1}
          criticality: {alphas: 2, sigmas: [0.5], samples: 1, train_images: 32}
          checkpoints: {epochs: 1}
        """

    static func directory() -> String { NSTemporaryDirectory() + "transferscope-study-" + UUID().uuidString }

    @Test("A second `study run` on one directory stops at once; missing data files stop a run before it starts")
    func lockAndMissingData() throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let study = try StudyFile.parse(Self.micro, path: "micro.yaml")
        try OutputDirectory.create(directory)
        let holder = try DirectoryLock(directory: directory, purpose: "another study run")
        let busy = #expect(throws: OutputDirectoryError.self) {
            try StudyRunner(study: study, directory: directory).run()
        }
        #expect(busy?.errorDescription?.contains("another study run") == true)
        holder.release()
        #expect(!FileManager.default.fileExists(atPath: directory + "/study.json"), "the refused run wrote files")
        var missing = study
        missing.targets = [Study.Target(data: "npy:/no/such/images.npy,/no/such/labels.npy")]
        #expect(missing.missingDataFiles == ["/no/such/images.npy", "/no/such/labels.npy"])
        let error = #expect(throws: StudyError.self) { try StudyRunner(study: missing, directory: directory).run() }
        #expect(error?.errorDescription?.contains("/no/such/images.npy") == true)
    }

    /// results.json without the fields that differ between runs (times, machine).
    static func comparable(_ directory: String) throws -> String {
        var results = try StudyResults.load(from: directory)
        results.seconds = 0
        results.machine = .current()
        for t in results.targets.indices {
            for c in (results.targets[t].interpolation ?? []).indices {
                results.targets[t].interpolation![c].value.timing = PathTiming()
            }
            for c in (results.targets[t].cka ?? []).indices {
                results.targets[t].cka![c].value.forwardSeconds = 0
                results.targets[t].cka![c].value.ckaSeconds = 0
            }
        }
        let encoder = JSONFile.encoder(pretty: false)
        // Learning curves carry no times; experiment runs name their directories, which are the same.
        return String(decoding: try encoder.encode(results), as: UTF8.self)
    }

    @Test(
        """
        A whole study runs, writes results.json with every section and a report that renders every section; a second \
        run does nothing
        """
    )
    func wholeStudy() throws {
        let out = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let study = try StudyFile.parse(Self.micro, path: "micro.yaml")
        try StudyRunner(study: study, directory: out).run()
        let results = try StudyResults.load(from: out)
        let target = try #require(results.targets.first)
        #expect(target.shuffle != nil && target.mistakes != nil && target.cka != nil && target.distances != nil)
        #expect(target.interpolation != nil && target.criticality != nil && target.checkpoints != nil)
        #expect(target.domain.map { $0.frechet.isFinite && $0.frechetLower <= $0.frechetUpper } == true)
        #expect(target.curves.count == 4 && results.findings.count == Finding.Claim.allCases.count)
        #expect(target.cka!.map(\.kind.rawValue) == ["P/P-T", "P/P-T", "P-T/P-T", "P-T/RI-T", "P-T/RI-T", "RI-T/RI-T"])
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        for heading in [
            "Findings scorecard", "Setup", "Target: ", "Mistakes", "Feature similarity (CKA)", "Parameter distances",
            "Performance barriers", "Module criticality", "Which source checkpoint",
            "Targets by distance from the source",
        ] {
            #expect(html.contains(heading), "\(heading)")
        }
        #expect(!html.contains("No data for this figure"))
        #expect(html.components(separatedBy: "<svg").count > 10 && html.contains("data:image/png;base64,"))
        // Every scorecard row of results.json, with its verdict and evidence, is on the page.
        for finding in results.findings {
            let row =
                "<tr><td>\(SVGChart.escape(finding.claim.rawValue))</td><td>\(SVGChart.escape(finding.target))</td>"
            #expect(html.contains(row) && html.contains(SVGChart.escape(finding.evidence)), "\(finding.claim)")
            #expect(html.contains(">\(finding.verdict.rawValue)</td>"), "\(finding.claim): \(finding.verdict)")
        }
        // Self-contained: no reference outside the page (the SVG namespace is a name, not a fetch).
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        for reference in ["http://", "https://", "//cdn", "src=\"http", "href=\"http", "url(http", "@import"] {
            #expect(!withoutNamespace.contains(reference), "the report refers outside itself: \(reference)")
        }
        #expect(
            !html.contains("src=\"")
                || html.components(separatedBy: "src=\"").dropFirst().allSatisfy { $0.hasPrefix("data:") },
            "every embedded source is inline data")
        let fresh = try Self.comparable(out)
        var ran: [String] = []
        let again = try StudyRunner(study: study, directory: out)
        again.onProgress = { _, _, id, message in if message == "running" { ran.append(id) } }
        try again.run()
        #expect(ran.isEmpty)
        #expect(try Self.comparable(out) == fresh, "a fully cached run rebuilt another results.json")
        // Every analysis computed again from the cached runs: the same bits.
        let analyses: Set<StudyPlan.Kind> = [.mistakes, .cka, .distances, .interpolation, .criticality]
        for node in again.plan.nodes where analyses.contains(node.kind) {
            try FileManager.default.removeItem(atPath: out + "/results/" + node.id + "/done.json")
        }
        let recomputed = try StudyRunner(study: study, directory: out)
        try recomputed.run()
        #expect(try Self.comparable(out) == fresh, "analyses recomputed from cached runs differ from the fresh ones")
    }

    /// Three targets: the source's own data, and two shifted domains; the costly analyses and the
    /// controls on the first only, a size sweep on the last.
    static let targets = """
        name: targets
        source: {data: "procedural:side=8,train=192,test=64,classes=4", model: resnet8, widths: [4, 8, 8], epochs: 2, \
        batch_size: 32}
        targets:
          - {data: "procedural:side=8,train=192,test=64,classes=4", analyses: [mistakes]}
          - {data: "procedural:side=8,train=96,test=48,classes=4,shift=0.5,seed=4", analyses: [shuffle], \
        controls: false}
          - {data: "procedural:side=8,train=96,test=48,classes=4,shift=1,seed=5", analyses: [shuffle, sizes], \
        controls: false}
        recipe: {epochs: 1, batch_size: 16}
        seeds: [0, 1]
        analyses:
          shuffle: {block_sizes: [8, 1], epochs: 1}
          sizes: {per_class: [4, 8], epochs: 2}
          domain: {images: 48, resamples: 20}
        controls: {scratch_at_pt_lr: false}
        """

    @Test(
        """
        Several targets: each gets its distance and only its analyses, the report orders them by distance, the size \
        sweep trains every size, and the claims across targets are assessed
        """
    )
    func severalTargets() throws {
        let out = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let study = try StudyFile.parse(Self.targets, path: "targets.yaml")
        let runner = try StudyRunner(study: study, directory: out)
        #expect(
            runner.plan.nodes.filter { $0.kind == .fromScratchSameInit }.map(\.id) == [
                "procedural-side-8-train-192-test-64-classes-4/RIT-same-s0",
                "procedural-side-8-train-192-test-64-classes-4/RIT-same-s1",
            ])
        #expect(runner.plan.nodes.filter { $0.kind == .domain }.count == 3)
        // Each experiment gathers its parts: a part per setting and seed (b8, b1, pixel; 4 and 8 per class).
        let experiments = runner.plan.nodes.filter { $0.kind.isExperiment && !$0.isExperimentPart }
        #expect(experiments.filter { $0.kind == .shuffleSweep }.count == 2)
        #expect(experiments.filter { $0.kind == .sizeSweep }.count == 1)
        #expect(runner.plan.nodes.filter { $0.kind == .shuffleSweep && $0.isExperimentPart }.count == 2 * 3 * 2)
        #expect(runner.plan.nodes.filter { $0.kind == .sizeSweep && $0.isExperimentPart }.count == 2 * 2)
        try runner.run()
        let results = try StudyResults.load(from: out)
        #expect(results.targets.allSatisfy { $0.domain != nil })
        let (own, far) = (results.targets[0], results.targets[2])
        #expect(own.mistakes != nil && own.shuffle == nil && own.cka == nil && own.sizes == nil)
        #expect(far.shuffle != nil && far.mistakes == nil && far.interpolation == nil)
        // The sweep: every size, seed and kind, each size trained on that many images per class.
        let sizes = try #require(far.sizes)
        #expect(sizes.runs.count == 2 * 2 * 2)
        for run in sizes.runs {
            let summary = try RunResults.summary(of: out + "/" + run.directory)
            #expect(summary.trainImages == 4 * (Int(run.setting) ?? 0), "\(run.setting): \(summary.trainImages)")
        }
        // Claims of analyses a target leaves out are not assessed on it; every target has its gate.
        for t in results.targets {
            let claims = Set(results.findings.filter { $0.target == t.name }.map(\.claim))
            #expect(claims.contains(.pretrainingHelps))
            #expect(claims.contains(.featureReuse) == (t.shuffle != nil), "\(t.name)")
            #expect(claims.contains(.featureSimilarity) == false, "\(t.name)")
        }
        #expect(results.findings.filter { $0.target == Finding.acrossTargets }.count == 3)
        // The report's target sections come closest first.
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        let order = Finding.closestFirst(results.targets).map(\.name)
        let positions = order.compactMap { html.range(of: "<h2>Target: \($0)</h2>")?.lowerBound }
        #expect(positions.count == 3 && positions == positions.sorted())
        #expect(html.contains("<h3>Target size</h3>") && html.contains("Targets by distance from the source"))
    }

    @Test("A study killed part-way (a result half-written) resumes to the same results.json")
    func resume() throws {
        let (complete, killed) = (Self.directory(), Self.directory())
        defer {
            try? FileManager.default.removeItem(atPath: complete)
            try? FileManager.default.removeItem(atPath: killed)
        }
        let study = try StudyFile.parse(Self.micro, path: "micro.yaml")
        let reference = try StudyRunner(study: study, directory: complete)
        // Stop (as a kill would) when the interpolation node starts: copy the directory then.
        reference.onProgress = { _, _, id, message in
            if id.hasSuffix("/interpolation") && message == "running" {
                try? FileManager.default.copyItem(atPath: complete, toPath: killed)
            }
        }
        try reference.run()
        // What else a kill can leave: a result file without its done marker.
        let half = killed + "/results/" + StudyPlan.targetName(study, 0) + "/interpolation"
        try FileManager.default.createDirectory(atPath: half, withIntermediateDirectories: true)
        try Data("{\"truncated".utf8).write(to: URL(fileURLWithPath: half + "/result.json"))
        var ran: [String] = []
        let resumed = try StudyRunner(study: study, directory: killed)
        resumed.onProgress = { _, _, id, message in if message == "running" { ran.append(id) } }
        try resumed.run()
        #expect(
            ran.map { $0.split(separator: "/").last.map(String.init) ?? $0 } == [
                "interpolation", "criticality", "epoch-0-s0", "epoch-0-s1", "epoch-1-s0", "epoch-1-s1", "checkpoints",
            ])
        #expect(try Self.comparable(killed) == Self.comparable(complete))
    }
}
