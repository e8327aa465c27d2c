import Foundation
import TransferscopeAnalysis
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeData
import TransferscopeExperiments
import TransferscopeIO
import TransferscopeNN
import TransferscopeOptimizers
import TransferscopeTraining

/// Runs a study's plan into a directory: `runs/` (one resumable training run per node, named
/// with its cache key), `results/<node>/result.json` (each analysis's numbers) with `done.json`
/// (the node's key, written last), and `results.json` (everything). A node whose `done.json`
/// holds its current key is skipped; a killed study resumes at the node it was running (and a
/// training run inside it at its last epoch); a half-written result is never taken. The keys
/// cover the data's content digests, taken when the runner is made and again when `run` starts.
public final class StudyRunner {
    /// The study being run.
    public let study: Study
    /// The study's plan, made again when `run` starts so that its keys reflect the data as it is then.
    public internal(set) var plan: StudyPlan
    /// The study's output directory (`runs/`, `results/`, `results.json`).
    public let directory: String
    /// Worker threads for training and analyses (default `Parallel.workerCount`).
    public let threads: Int
    /// Progress: (node index, node count, node id, a message).
    public var onProgress: (Int, Int, String, String) -> Void = { _, _, _, _ in }
    /// Events of the training run in progress.
    public var onTraining: (TrainingEvent) -> Void = { _ in }

    /// A runner for `study` into `directory`, its plan made from the data as it is now.
    public init(study: Study, directory: String, threads: Int = Parallel.workerCount) throws {
        self.study = study
        self.plan = try StudyPlan(study, version: TransferscopeVersion.current)
        self.directory = directory
        self.threads = threads
    }

    /// Where a node's training runs live.
    public func runDirectory(_ node: StudyPlan.Node) -> String {
        "\(directory)/runs/\(node.id)-\(node.key.prefix(8))"
    }

    func resultDirectory(_ id: String) -> String { "\(directory)/results/\(id)" }

    /// Whether the node's result is there for its current key.
    public func isDone(_ node: StudyPlan.Node) -> Bool {
        guard let data = FileManager.default.contents(atPath: resultDirectory(node.id) + "/done.json"),
            let marker = try? JSONDecoder().decode([String: String].self, from: data)
        else { return false }
        return marker["key"] == node.key
    }

    /// Runs every node that is not done, in order, with `threads` workers.
    public func run() throws {
        // The analyses' sums are split across the workers, as training's are: a resumed study
        // whose runs are all cached computes with the same count.
        try Parallel.withWorkers(threads) { try runNodes() }
    }

    private func runNodes() throws {
        let lock = try begin()
        defer { lock.release() }
        let clock = Date()
        var ran = 0
        for (index, node) in plan.nodes.enumerated() {
            if isDone(node) {
                onProgress(index + 1, plan.nodes.count, node.id, "done earlier")
                continue
            }
            ran += 1
            onProgress(index + 1, plan.nodes.count, node.id, "running")
            let seconds = try executeAndMark(node)
            onProgress(index + 1, plan.nodes.count, node.id, String(format: "finished in %.0f s", seconds))
        }
        try finish(clock: clock, ran: ran)
    }

    /// Checks the data, locks the directory, records the study, prepares the built-in data and
    /// makes the plan again from the prepared data (whose files the runs read).
    func begin() throws -> DirectoryLock {
        let missing = study.missingDataFiles
        guard missing.isEmpty else {
            throw StudyError.invalid(
                path: study.name, line: nil, message: "its data files do not exist: \(missing.joined(separator: ", "))")
        }
        let lock = try OutputDirectory.createAndLock(directory, purpose: "study run")
        do {
            try AnalysisFiles.writeJSON(study, to: directory, name: "study.json")
            try prepareBuiltInData()
            plan = try StudyPlan(study, version: TransferscopeVersion.current)
        } catch {
            lock.release()
            throw error
        }
        return lock
    }

    /// Runs `node` and then marks it done for its key (`done.json`, written last); returns its seconds.
    func executeAndMark(_ node: StudyPlan.Node) throws -> Double {
        let start = Date()
        try execute(node)
        let seconds = Date().timeIntervalSince(start)
        try AnalysisFiles.writeJSON(
            ["key": node.key, "seconds": String(format: "%.1f", seconds)], to: resultDirectory(node.id),
            name: "done.json")
        return seconds
    }

    /// Once every node is done: the samples pictures, `results.json` and the report. `ran`
    /// nodes ran since `clock`; a run that found every node done keeps the earlier run's time.
    func finish(clock: Date, ran: Int) throws {
        // The samples picture of each target, redrawn when its data or P's input changed (the
        // digest of the data and P's key, beside the picture).
        for index in study.targets.indices {
            let folder = resultDirectory(StudyPlan.targetName(study, index))
            let (path, keyPath) = (folder + "/samples.png", folder + "/samples.key")
            let key =
                (plan.nodes.first { $0.target == index }?.dataDigest ?? "") + " " + (plan.node("pretrain")?.key ?? "")
            let recorded = (try? String(contentsOfFile: keyPath, encoding: .utf8)) ?? ""
            if !FileManager.default.fileExists(atPath: path) || recorded != key {
                let preprocessing = try source().preprocessing
                try ImageGrid.write(
                    preprocessing.converted(try targetTrainImages(index)), to: path, perClass: 8, zoom: 2)
                try AtomicFile.write(Data(key.utf8), to: keyPath)
            }
        }
        let seconds =
            ran > 0 ? Date().timeIntervalSince(clock) : ((try? StudyResults.load(from: directory).seconds) ?? 0)
        let results = try StudyResults.collect(self, seconds: seconds)
        try HTMLReport.write(results, directory: directory)
    }

    /// Rebuilds `results.json` and the report from the results on disk (nothing is trained).
    /// Refuses when a node's result is missing or was made for another key (its data or
    /// settings changed since), naming the nodes.
    public func report() throws -> String {
        try Parallel.withWorkers(threads) { try writeReport() }
    }

    private func writeReport() throws -> String {
        let stale = plan.nodes.filter { !isDone($0) }.map(\.id)
        guard stale.isEmpty else {
            let named =
                stale.prefix(8).joined(separator: ", ") + (stale.count > 8 ? " and \(stale.count - 8) more" : "")
            throw StudyError.invalid(
                path: study.name, line: nil,
                message:
                    "no up-to-date result for \(named) (not run yet, or its data or settings changed since); run "
                    + "`transferscope study run` first"
            )
        }
        let seconds = (try? StudyResults.load(from: directory).seconds) ?? 0
        return try HTMLReport.write(try StudyResults.collect(self, seconds: seconds), directory: directory)
    }

    // MARK: Data and models

    /// Prepares the built-in datasets the study names that are not prepared yet, so that the
    /// keys cover the prepared files the runs read.
    func prepareBuiltInData() throws {
        for specification in study.dataSpecifications {
            guard case .builtIn(let name)? = try? DatasetSource(parsing: specification), !Catalogue.isPrepared(name)
            else { continue }
            onProgress(0, plan.nodes.count, specification, "preparing the dataset")
            try Catalogue.prepare(name)
        }
    }

    private var dataCache: [String: DatasetSplits] = [:]

    /// The data of `specification`; folders of images are read at `side` (nil: 32 pixels, as
    /// `train` reads them without a model), fitted as `fit` says.
    func data(_ specification: String, side: Int? = nil, fit: ImageFolderReader.Fit? = nil) throws -> DatasetSplits {
        let cacheKey = "\(specification) \(side ?? 0) \(fit?.rawValue ?? "")"
        if let cached = dataCache[cacheKey] { return cached }
        var options = DatasetSource.Options()
        if let side { options.folderImageSide = side }
        options.folderFit = fit ?? .pad
        let splits = try DatasetSource(parsing: specification).load(options: options).splits
        dataCache[cacheKey] = splits
        return splits
    }

    /// The source's data; a given P without its data has none (the caller says what needs it).
    func sourceData(for purpose: String) throws -> DatasetSplits {
        guard let specification = study.source.data else {
            throw StudyError.invalid(
                path: study.name, line: nil,
                message: "the given source has no `data:`, which \(purpose) needs; add the source's dataset")
        }
        return try data(specification, side: try study.source.given.map { try givenSource($0).preprocessing.side })
    }

    /// The target's data as read (runs get it whole, with the target's selection in their
    /// configuration, so that a run's config.json reproduces it); a folder is read at P's input
    /// side, as `train --init P` reads it.
    func targetData(_ index: Int) throws -> DatasetSplits {
        try data(study.targets[index].data, side: try source().preprocessing.side, fit: study.targets[index].fit)
    }

    private var givenRecord: SourceCheckpoint?

    /// The header of the given P (read once), before the study adopts it.
    func givenSource(_ given: Study.GivenSource) throws -> SourceCheckpoint {
        if let givenRecord, givenRecord.path == given.checkpoint { return givenRecord }
        let record = try SourceCheckpoint(given.checkpoint)
        givenRecord = record
        return record
    }

    /// The target's training images that its runs train on (`Study.Target.selection`).
    func targetTrainImages(_ index: Int) throws -> ImageDataset {
        study.targets[index].selection.apply(to: try targetData(index).train)
    }

    /// The run directory of the pre-training.
    var pretrainDirectory: String {
        guard let node = plan.node("pretrain") else {
            preconditionFailure("a study plan always has the pre-training node")
        }
        return runDirectory(node)
    }

    /// The path of P, the pre-trained model.
    public var sourceCheckpoint: String { pretrainDirectory + "/final.safetensors" }

    private var sourceRecord: SourceCheckpoint?

    /// P's checkpoint header, read once per run of the study (after the pre-training).
    func source() throws -> SourceCheckpoint {
        if let sourceRecord, sourceRecord.path == sourceCheckpoint { return sourceRecord }
        let record = try SourceCheckpoint(sourceCheckpoint)
        sourceRecord = record
        return record
    }

    /// The run directory of the run node `id`.
    func runDirectory(_ id: String) -> String {
        guard let node = plan.node(id) else { preconditionFailure("no node \(id) in the study plan") }
        return runDirectory(node)
    }

    /// The final checkpoint of a target run node.
    func checkpoint(_ id: String) -> String { runDirectory(id) + "/final.safetensors" }

    /// The starting checkpoint (epoch 0) of a target run node: P with the new head, or the random initialization.
    func startCheckpoint(_ id: String) -> String { runDirectory(id) + "/checkpoints/epoch-0000.safetensors" }

    /// The run node ids of target `index` by kind, in seed order.
    func runs(_ index: Int, _ kind: StudyPlan.Kind) -> [String] {
        plan.nodes.filter { $0.target == index && $0.kind == kind }.map(\.id)
    }

    // MARK: Nodes

    func execute(_ node: StudyPlan.Node) throws {
        switch node.kind {
        case .pretrain: try pretrain(node)
        case .fineTune, .fromScratch, .fromScratchSameInit, .fromScratchAtFineTuneRate: try trainTarget(node)
        case .shuffleSweep, .sizeSweep, .checkpoints: try experiment(node)
        case .domain, .mistakes, .cka, .distances, .interpolation, .criticality:
            try StudyAnalyses.run(node, runner: self)
        }
    }

    func train(_ configuration: TrainingConfiguration, data: DatasetSplits, directory: String) throws {
        let trainer = Trainer(configuration: configuration, directory: directory)
        trainer.onEvent = onTraining
        try trainer.run(data: data)
    }

    func pretrain(_ node: StudyPlan.Node) throws {
        if let given = study.source.given {
            try GivenSourceAdoption.adopt(
                given, data: study.source.data == nil ? nil : try sourceData(for: "P's source accuracy"),
                directory: runDirectory(node))
            return
        }
        let data = try sourceData(for: "pre-training P")
        try train(
            try study.source.setup(threads: threads).configuration(for: data), data: data, directory: runDirectory(node)
        )
    }

    func trainTarget(_ node: StudyPlan.Node) throws {
        guard let index = node.target, let seed = node.seed else {
            preconditionFailure("a run node has a target and a seed")
        }
        let target = study.targets[index]
        let splits = try targetData(index)
        var recipe = study.recipe(for: target)
        // The controls: RI-T from the one shared initialization, or RI-T at P-T's learning rate.
        if node.kind == .fromScratchAtFineTuneRate { recipe.scratchLearningRate = recipe.fineTuneLearningRate }
        let initializationSeed = node.kind == .fromScratchSameInit ? Study.sharedInitializationSeed : nil
        let configuration = try recipe.configuration(
            node.kind == .fineTune ? .fineTuned : .fromScratch, source: try source(), target: splits,
            dataset: target.data, seed: seed, initializationSeed: initializationSeed, selection: target.selection,
            threads: threads)
        try train(configuration, data: splits, directory: runDirectory(node))
    }
}

/// The result of the shuffle sweep or the checkpoint choice.
public struct ExperimentResult: Codable, Sendable, Equatable {
    /// Every training run of the experiment, with run directories relative to the study directory.
    public var runs: [RunOutcome]
    /// The runs' spread over seeds, per (setting, kind).
    public var summary: [SettingSummary]
    /// What the experiment left out and why (e.g. the pixel shuffle of 1-channel images); nil before 0.4.0.
    public var notes: [String]? = nil
}
