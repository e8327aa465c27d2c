import Foundation
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeOptimizers

/// Where a run stands: epochs and steps completed, seconds spent. Saved as `resume/state.json`.
struct RunState: Codable {
    var epoch = 0
    var step = 0
    var seconds = 0.0
    /// File names (in `resume/`) of the model and optimizer saved with this state.
    var model = ""
    var optimizer = ""
}

extension Trainer {
    /// Creates the directory; refuses one holding a different configuration (unless `restart`,
    /// which removes that run's files first).
    func prepareDirectory(restart: Bool) throws {
        let manager = FileManager.default
        let configPath = directory + "/config.json"
        if manager.fileExists(atPath: configPath) {
            let existing = try? JSONFile.read(TrainingConfiguration.self, from: configPath)
            if restart || existing != configuration {
                guard restart else { throw TrainingError.differentConfiguration(directory: directory) }
                for name in [
                    "resume", "checkpoints", "metrics.jsonl", "summary.json", "final.safetensors", "run.json",
                    "config.json",
                ] {
                    try? manager.removeItem(atPath: directory + "/" + name)
                }
            }
        }
        try OutputDirectory.create(checkpointsFolder)
        try OutputDirectory.create(resumeFolder)
        if !manager.fileExists(atPath: configPath) { try JSONFile.write(configuration, to: configPath) }
    }

    /// The training images after few-shot selection and subsampling, checked against the model
    /// and the batch size (before anything is written, so a refused run leaves no files).
    func selectTrainingImages(_ data: DatasetSplits) throws -> ImageDataset {
        let c = configuration
        let train = c.trainingImages(of: data.train)
        guard train.classNames.count == c.architecture.classes else {
            throw TrainingError.incompatibleData(
                "the data has \(train.classNames.count) classes but the model's head has \(c.architecture.classes)")
        }
        guard c.preprocessing.channels == c.architecture.inputChannels else {
            throw TrainingError.incompatibleData(
                "images are prepared with \(c.preprocessing.channels) channels but the model takes "
                    + "\(c.architecture.inputChannels)"
            )
        }
        try c.preprocessing.checkSize(of: train)
        try c.preprocessing.checkSize(of: data.test)
        guard train.count >= c.batchSize else {
            throw TrainingError.invalidConfiguration(
                "the training split has \(train.count) images, fewer than one batch of \(c.batchSize); lower the "
                    + "batch size (--batch-size; batch_size in a study)"
            )
        }
        return train
    }

    /// A model initialized from the initialization seed (`effectiveInitializationSeed`); when
    /// fine-tuning, all but the head loaded from the initialization checkpoint (the head keeps its
    /// seeded initialization for the new classes).
    func makeModel() throws -> ResNet {
        let c = configuration
        var generator = RandomGenerator(seed: c.effectiveInitializationSeed)
        let model = ResNet(c.architecture, generator: &generator)
        if let source = c.initialization {
            // One parse of the file: its architecture is checked, then its weights loaded.
            let file = try SafeTensors(contentsOf: source)
            var sourceArchitecture = try Checkpoint.architecture(of: file, path: source)
            sourceArchitecture.classes = c.architecture.classes
            guard sourceArchitecture == c.architecture else {
                throw TrainingError.incompatibleData(
                    "\(source) holds a \(sourceArchitecture.name) with widths \(sourceArchitecture.widths) and "
                        + "\(sourceArchitecture.inputChannels) input channels; the run asks for \(c.architecture.name) "
                        + "with \(c.architecture.widths) and \(c.architecture.inputChannels)"
                )
            }
            try StateDict.load(file, into: model.namedState, path: source, skipping: ["fc.weight", "fc.bias"])
        }
        return model
    }

    /// Every parameter outside the frozen modules.
    func trainableParameters(of model: ResNet) -> [(name: String, parameter: Parameter)] {
        let frozen = Set(configuration.frozenModules)
        return model.modules.filter { !frozen.contains($0.name) }.flatMap { $0.state.parameters }
    }

    /// The state saved by an earlier start (model and optimizer restored), or a fresh one.
    func restoreState(model: ResNet, optimizer: SGD) throws -> RunState {
        guard let state = try savedState() else { return RunState() }
        try restore(state, model: model, optimizer: optimizer)
        return state
    }

    /// The state an earlier start saved (`resume/state.json`, checked), or nil when there is none.
    func savedState() throws -> RunState? {
        let path = resumeFolder + "/state.json"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        // Only the version that started a run resumes it: another may draw other random streams.
        if let record = try? JSONFile.read(RunRecord.self, from: directory + "/run.json"),
            record.version != TransferscopeVersion.current
        {
            throw TrainingError.otherVersion(directory: directory, version: record.version)
        }
        let state: RunState
        do { state = try JSONFile.read(RunState.self, from: path) } catch let JSONFileError.unreadable(_, reason) {
            throw TrainingError.corruptRunState(path: path, reason: "it does not parse (\(reason))")
        }
        guard (0...configuration.epochs).contains(state.epoch), state.step >= 0,
            state.step <= Int(Int32.max) * Limits.epochs,
            state.seconds.isFinite, state.seconds >= 0,
            ![state.model, state.optimizer].contains(where: { $0.isEmpty || $0.contains("/") })
        else {
            throw TrainingError.corruptRunState(
                path: path,
                reason:
                    "it records epoch \(state.epoch) of \(configuration.epochs), step \(state.step), files "
                    + "'\(state.model)' and '\(state.optimizer)'"
            )
        }
        return state
    }

    /// Loads the model and optimizer files `state` names.
    func restore(_ state: RunState, model: ResNet, optimizer: SGD) throws {
        let path = resumeFolder + "/state.json"
        do {
            try Checkpoint.load(into: model, from: resumeFolder + "/" + state.model)
            try OptimizerState.load(into: optimizer, from: resumeFolder + "/" + state.optimizer)
        } catch {
            throw TrainingError.corruptRunState(path: path, reason: error.localizedDescription)
        }
    }

    /// Saves the model and optimizer under new names, then `state.json` pointing at them (the
    /// commit point), then removes the previous pair; a kill at any moment leaves a usable state.
    func saveState(_ state: RunState, model: ResNet, optimizer: SGD) throws {
        var state = state
        let previous = try? JSONFile.read(RunState.self, from: resumeFolder + "/state.json")
        state.model = String(format: "model-%04d.safetensors", state.epoch)
        state.optimizer = String(format: "optimizer-%04d.safetensors", state.epoch)
        try save(model, to: resumeFolder + "/" + state.model, epoch: state.epoch)
        try OptimizerState.save(optimizer, to: resumeFolder + "/" + state.optimizer)
        try JSONFile.write(state, to: resumeFolder + "/state.json")
        if let previous, previous.model != state.model {
            try? FileManager.default.removeItem(atPath: resumeFolder + "/" + previous.model)
            try? FileManager.default.removeItem(atPath: resumeFolder + "/" + previous.optimizer)
        }
    }

    /// Writes the kept checkpoint of `epoch`; returns its path.
    func saveCheckpoint(_ model: ResNet, epoch: Int) throws -> String {
        let path = checkpointPath(epoch: epoch)
        try save(model, to: path, epoch: epoch)
        return path
    }

    /// Saves `model` with the metadata that evaluation and fine-tuning read back.
    func save(_ model: ResNet, to path: String, epoch: Int) throws {
        let c = configuration
        var metadata = try ModelInput.metadata(c.preprocessing)
        metadata["transferscope.seed"] = String(c.seed)
        if let seed = c.initializationSeed { metadata["transferscope.initialization_seed"] = String(seed) }
        metadata["transferscope.epoch"] = String(epoch)
        metadata["transferscope.dataset"] = c.dataset
        if let source = c.initialization { metadata["transferscope.initialization"] = source }
        try Checkpoint.save(
            model, to: path, classNames: classNames,
            inputShape: [c.preprocessing.side, c.preprocessing.side, c.preprocessing.channels],
            metadata: metadata)
    }

    /// Appends this start to `run.json`.
    func recordStart(epoch: Int) throws {
        let path = directory + "/run.json"
        // A run.json that does not parse (an interrupted older version) is started afresh.
        var record =
            (try? JSONFile.read(RunRecord.self, from: path))
            ?? RunRecord(
                version: TransferscopeVersion.current, executable: CommandLine.arguments.first ?? "",
                commandLine: CommandLine.arguments,
                seed: configuration.seed, machine: .current(), starts: [], startEpochs: [])
        record.starts.append(ISO8601DateFormatter().string(from: Date()))
        record.startEpochs.append(epoch)
        try JSONFile.write(record, to: path)
    }
}
