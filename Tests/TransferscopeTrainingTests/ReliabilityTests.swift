import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeNN

@testable import TransferscopeTraining

/// Issue 15: locked output directories, refused runs that leave nothing behind, non-finite
/// numbers that stop evaluation, and checkpoint metadata that is checked.
@Suite("Reliability of runs", .serialized)
struct ReliabilityTests {
    func message(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch { return error.localizedDescription }
    }

    @Test("A second writer of one directory stops at once, naming the holder; a killed holder's lock does not block")
    func directoryLock() throws {
        let directory = Small.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try OutputDirectory.create(directory)
        // Another process holds the lock (flock(1), as a killed `train` would have).
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = [
            "-c",
            "exec 9>\"$0/\(DirectoryLock.fileName)\"; flock -n 9 && echo pid 4242 on elsewhere >&9 && echo "
                + "locked && exec sleep 60",
            directory,
        ]
        let output = Pipe()
        holder.standardOutput = output
        try holder.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        #expect(line.contains("locked"), "the helper process did not take the lock: \(line)")
        let trainer = Trainer(configuration: Small.configuration(epochs: 1), directory: directory)
        let error = message { try trainer.run(data: Small.data) }
        #expect(
            error?.contains("in use by another Transferscope process") == true
                && error?.contains("pid 4242 on elsewhere") == true,
            "\(error ?? "accepted")")
        #expect(!FileManager.default.fileExists(atPath: directory + "/config.json"), "the refused run wrote files")
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        // The kernel released the dead holder's lock: the run goes ahead.
        let lock = try DirectoryLock(directory: directory, purpose: "test")
        lock.release()
        // In one process, too, a held lock refuses a second holder.
        let first = try DirectoryLock(directory: directory, purpose: "first")
        #expect(throws: OutputDirectoryError.self) { try DirectoryLock(directory: directory, purpose: "second") }
        first.release()
    }

    @Test("An unfinished run started by another version is not resumed; the same version resumes it")
    func otherVersionIsNotResumed() throws {
        let (complete, directory) = (Small.temporaryDirectory(), Small.temporaryDirectory())
        defer {
            try? FileManager.default.removeItem(atPath: complete)
            try? FileManager.default.removeItem(atPath: directory)
        }
        // As a kill after epoch 1 of 2 would leave it: the resume state, no summary.
        let reference = Trainer(configuration: Small.configuration(epochs: 2), directory: complete)
        reference.onEvent = { event in
            if case .epochEnded(let metrics) = event, metrics.epoch == 1 {
                try? FileManager.default.copyItem(atPath: complete, toPath: directory)
            }
        }
        try reference.run(data: Small.data)
        let recordPath = directory + "/run.json"
        let current = try String(contentsOfFile: recordPath, encoding: .utf8)
        let older = current.replacingOccurrences(
            of: "\"version\" : \"\(TransferscopeVersion.current)\"", with: "\"version\" : \"0.0.1\"")
        #expect(older != current, "run.json records the version")
        try older.write(toFile: recordPath, atomically: true, encoding: .utf8)
        let error = #expect(throws: TrainingError.self) {
            try Trainer(configuration: Small.configuration(epochs: 2), directory: directory).run(data: Small.data)
        }
        #expect(error?.errorDescription?.contains("0.0.1") == true)
        try current.write(toFile: recordPath, atomically: true, encoding: .utf8)
        let resumed = try Trainer(configuration: Small.configuration(epochs: 2), directory: directory).run(
            data: Small.data)
        #expect(resumed.finalTestAccuracy == (try RunResults.summary(of: complete)).finalTestAccuracy)
    }

    @Test("A run refused for its data leaves no files behind, so the corrected command is not refused")
    func refusedRunWritesNothing() throws {
        let directory = Small.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = Small.configuration(epochs: 1)
        configuration.batchSize = 1_000  // more than the 384 training images
        let error = message { try Trainer(configuration: configuration, directory: directory).run(data: Small.data) }
        #expect(error?.contains("fewer than one batch") == true, "\(error ?? "accepted")")
        #expect(!FileManager.default.fileExists(atPath: directory))
        let empty = message {
            try Trainer(configuration: Small.configuration(epochs: 1), directory: "").run(data: Small.data)
        }
        #expect(empty?.contains("empty") == true, "an empty directory must not mean the root: \(empty ?? "accepted")")
    }

    @Test("Evaluation stops on a non-finite loss instead of reporting an accuracy")
    func nonFiniteEvaluation() throws {
        var generator = RandomGenerator(seed: 0)
        let model = ResNet(Small.configuration().architecture, generator: &generator)
        let weights = model.namedState.parameters.first { $0.name == "fc.weight" }!.parameter
        weights.value = Tensor(
            shape: weights.value.shape, scalars: [Float](repeating: 3e38, count: weights.value.count))
        let images = Small.configuration().preprocessing.prepare(Small.data.test)
        #expect(throws: EvaluationError.self) { try Evaluator.evaluate(model, on: images) }
    }

    @Test(
        "Recorded input shapes and normalizations are checked",
        arguments: [
            (Checkpoint.inputShapeKey, "[0,0,1]", "input shape"), (Checkpoint.inputShapeKey, "[12,12,3]", "channel"),
            (Checkpoint.inputShapeKey, "[-12,-12,1]", "input shape"),
            (Checkpoint.inputShapeKey, "[1000000000,1000000000,1]", "input shape"),
            (ModelInput.normalizationKey, #"{"mean":[0.5],"standardDeviation":[0]}"#, "deviations positive"),
            (ModelInput.normalizationKey, #"{"mean":[0.5,0.5,0.5],"standardDeviation":[1,1,1]}"#, "3 channel"),
            (ModelInput.normalizationKey, #"{"mean":"x"}"#, "not usable"),
        ])
    func recordedInput(_ change: (String, String, String)) throws {
        var generator = RandomGenerator(seed: 0)
        let model = ResNet(Small.configuration().architecture, generator: &generator)
        let path = Small.temporaryDirectory() + ".safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var metadata = try ModelInput.metadata(Small.configuration().preprocessing)
        metadata[change.0] = change.1
        try Checkpoint.save(
            model, to: path, inputShape: change.0 == Checkpoint.inputShapeKey ? nil : [12, 12, 1], metadata: metadata)
        let error = message { try ModelInput.preprocessing(ofCheckpoint: path) }
        #expect(
            error?.contains(path) == true && error?.contains(change.2) == true, "\(change.1): \(error ?? "accepted")")
    }

    @Test("A recorded input whose channels differ from the architecture's is refused")
    func inputAgainstArchitecture() throws {
        var generator = RandomGenerator(seed: 0)
        let model = ResNet(Small.configuration().architecture, generator: &generator)  // 1 input channel
        let path = Small.temporaryDirectory() + ".safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let rgb = Preprocessing(side: 12, channels: 3, normalization: .identity(channels: 3))
        try Checkpoint.save(model, to: path, inputShape: [12, 12, 3], metadata: try ModelInput.metadata(rgb))
        let error = message { try ModelInput.preprocessing(ofCheckpoint: path) }
        #expect(error?.contains("its architecture takes 1") == true, "\(error ?? "accepted")")
    }

    @Test("Output directories: empty text, a file, a file as parent are errors saying so")
    func outputDirectories() throws {
        let base = Small.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try OutputDirectory.create(base)
        #expect(FileManager.default.createFile(atPath: base + "/file", contents: Data("x".utf8)))
        for (path, fragment) in [
            ("", "empty"), (base + "/file", "is a file, not a directory"),
            (base + "/file/run", "\(base)/file is a file, not a directory"),
        ] {
            let error = message { try OutputDirectory.create(path) }
            #expect(error?.contains(fragment) == true, "\(path): \(error ?? "accepted")")
        }
        try FileManager.default.createSymbolicLink(
            atPath: base + "/" + DirectoryLock.fileName, withDestinationPath: base + "/file")
        #expect(throws: OutputDirectoryError.self) { try DirectoryLock(directory: base, purpose: "test") }
        #expect(try String(contentsOfFile: base + "/file", encoding: .utf8) == "x", "the lock emptied a linked file")
    }

    @Test(
        "A damaged resume/state.json is refused, not trusted",
        arguments: [
            #"{"epoch":99,"step":0,"seconds":0,"model":"m","optimizer":"o"}"#,
            #"{"epoch":-1,"step":0,"seconds":0,"model":"m","optimizer":"o"}"#,
            #"{"epoch":1,"step":-5,"seconds":0,"model":"m","optimizer":"o"}"#,
            #"{"epoch":1,"step":5,"seconds":0,"model":"../../x","optimizer":"o"}"#,
        ])
    func damagedRunState(_ json: String) throws {
        let directory = Small.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = Small.configuration(epochs: 1, checkpointEpochs: [])
        try Trainer(configuration: configuration, directory: directory).run(data: Small.data)
        try FileManager.default.removeItem(atPath: directory + "/summary.json")
        try FileManager.default.createDirectory(atPath: directory + "/resume", withIntermediateDirectories: true)
        try Data(json.utf8).write(to: URL(fileURLWithPath: directory + "/resume/state.json"))
        let error = message { try Trainer(configuration: configuration, directory: directory).run(data: Small.data) }
        #expect(error?.contains("state.json cannot be used") == true, "\(error ?? "accepted")")
    }

    @Test("Configurations from files are checked: NaN rates, absurd epochs, a side under 8")
    func configurationChecks() {
        var nan = Small.configuration()
        nan.learningRate.base = .nan
        var epochs = Small.configuration()
        epochs.epochs = Int.max
        var side = Small.configuration()
        side.preprocessing = Preprocessing(side: 4, channels: 1, normalization: .identity(channels: 1))
        for (configuration, fragment) in [(nan, "learning rate"), (epochs, "epochs must lie"), (side, "at least 8")] {
            let error = message { try configuration.validate() }
            #expect(error?.contains(fragment) == true, "\(error ?? "accepted")")
        }
    }
}

@Suite("Progress display")
struct ProgressDisplayTests {
    @Test("Durations and bars read as promised")
    func formats() {
        #expect(ProgressDisplay.duration(42.4) == "42s" && ProgressDisplay.duration(185) == "3m05s")
        #expect(ProgressDisplay.duration(3_720) == "1h02m" && ProgressDisplay.duration(59.6) == "1m00s")
        #expect(ProgressDisplay.bar(0.5, width: 10) == "[#####-----]" && ProgressDisplay.bar(1.7, width: 4) == "[####]")
        #expect(ProgressDisplay.bar(-1, width: 4) == "[----]")
    }
}
