import Foundation
import TransferscopeIO
import TransferscopeNN
import TransferscopeOptimizers

/// Reading a study's `source:`: P's pre-training, or a given P (`checkpoint`, `checkpoints`, `run`).
extension StudyFile {
    static func readSource(_ reader: Reader) throws -> Study.Source {
        var source = Study.Source()
        let pretraining = [
            "model", "widths", "subsample", "epochs", "batch_size", "lr", "schedule", "milestones", "momentum",
            "weight_decay", "flip", "checkpoint_epochs",
        ]
        let f = try reader.mapping(allowed: ["data"] + pretraining + ["checkpoint", "checkpoints", "run"])
        let givenKeys = ["checkpoint", "checkpoints", "run"].filter { f[$0] != nil }
        if !givenKeys.isEmpty {
            guard givenKeys.count == 1 else {
                throw reader.fail(
                    "the source gives P twice (\(givenKeys.joined(separator: ", "))); give one of `checkpoint`, "
                        + "`checkpoints` or `run`")
            }
            if let extra = pretraining.first(where: { f[$0] != nil }) {
                throw reader.fail(
                    "`\(extra)` sets P's pre-training, but the source gives P (`\(givenKeys[0])`); leave it out")
            }
            source.given = try readGiven(f)
            source.data = try f["data"].map { try $0.dataSpecification() }
            return source
        }
        if let v = f["data"] { source.data = try v.dataSpecification() }
        if let v = f["model"] {
            source.model = try v.string(oneOf: [
                "resnet8", "resnet14", "resnet20", "resnet32", "resnet56", "resnet18", "resnet34", "resnet50",
            ])
        }
        if let v = f["widths"] { source.widths = try v.list().map { try $0.integer(1...Limits.width) } }
        if let v = f["subsample"] { source.subsample = try v.integer(10...Limits.images) }
        if let v = f["epochs"] { source.epochs = try v.integer(1...Limits.epochs) }
        if let v = f["batch_size"] { source.batchSize = try v.integer(2...Limits.images) }
        if let v = f["lr"] { source.learningRate = try v.number(above: 0) }
        if let v = f["schedule"] { source.schedule = try v.choice(ScheduleName.self) }
        if let v = f["milestones"] { source.milestones = try v.list().map { try $0.integer(1...Limits.epochs) } }
        if let v = f["momentum"] { source.momentum = try v.number(atLeast: 0, below: 1) }
        if let v = f["weight_decay"] { source.weightDecay = try v.number(atLeast: 0, atMost: 1) }
        if let v = f["flip"] { source.flip = try v.bool() }
        if let v = f["milestones"], let bad = source.milestones?.first(where: { $0 > source.epochs }) {
            throw v.fail("milestone \(bad) is beyond the source's \(source.epochs) epochs")
        }
        if let v = f["checkpoint_epochs"] {
            if (try? v.string()) == "all" {
                source.checkpointEpochs = nil
            } else {
                let checkpointEpochs = try v.list().map { try $0.integer(0...Limits.epochs) }
                source.checkpointEpochs = checkpointEpochs
                if let bad = checkpointEpochs.first(where: { $0 > source.epochs }) {
                    throw v.fail("checkpoint epoch \(bad) is beyond the source's \(source.epochs) epochs")
                }
            }
        }
        return source
    }

    /// A given P: `checkpoint: P.safetensors`, `checkpoints: {0: a.safetensors, 30: b.safetensors}`
    /// (P is the last epoch's) or `run: DIR`, a Transferscope run directory (P is its
    /// `final.safetensors`, the checkpoints its `checkpoints/epoch-NNNN.safetensors`).
    static func readGiven(_ f: [String: Reader]) throws -> Study.GivenSource {
        if let v = f["checkpoint"] { return Study.GivenSource(checkpoint: try v.string()) }
        if let v = f["checkpoints"] {
            guard let mapping = v.node.mapping, !mapping.isEmpty else {
                throw v.fail(
                    "`checkpoints` must map source epochs to checkpoints, e.g. {0: a.safetensors, 30: b.safetensors}")
            }
            var checkpoints: [Int: String] = [:]
            for (key, value) in mapping {
                guard let epoch = key.int, (0...Limits.epochs).contains(epoch) else {
                    throw v.fail("a key of `checkpoints` is '\(key.string ?? "?")'; keys are source epochs (0, 1, ...)")
                }
                guard checkpoints[epoch] == nil else { throw v.fail("`checkpoints` gives epoch \(epoch) twice") }
                checkpoints[epoch] = try Reader(node: value, path: v.path, context: "checkpoint \(epoch)").string()
            }
            guard let last = checkpoints.keys.max(), let final = checkpoints[last] else {
                throw v.fail("`checkpoints` is empty")
            }
            var given = Study.GivenSource(checkpoint: final)
            given.checkpoints = checkpoints
            return given
        }
        guard let v = f["run"] else { preconditionFailure("readGiven without checkpoint, checkpoints or run") }
        let run = try v.string()
        let final = run + "/final.safetensors"
        guard FileManager.default.fileExists(atPath: final) else {
            throw v.fail("`run: \(run)` has no final.safetensors; give a finished Transferscope run directory")
        }
        var given = Study.GivenSource(checkpoint: final)
        given.run = run
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints")) ?? []
        for name in names where name.hasPrefix("epoch-") && name.hasSuffix(".safetensors") {
            if let epoch = Int(name.dropFirst("epoch-".count).dropLast(".safetensors".count)) {
                given.checkpoints[epoch] = run + "/checkpoints/" + name
            }
        }
        return given
    }

    /// The source's model with its widths must be buildable (checked with 3 input channels and
    /// 10 classes; the data decides those when the study runs).
    static func checkArchitecture(_ source: Study.Source, at reader: Reader) throws {
        guard let architecture = ResNetConfiguration.named(source.model, widths: source.widths) else {
            let stages = ResNetConfiguration.named(source.model)?.widths.count ?? 0
            throw reader.fail(
                "`widths` for \(source.model) needs one width per stage (\(stages)), got \(source.widths ?? [])")
        }
        do { try architecture.validate() } catch { throw reader.fail(error.localizedDescription) }
    }
}
