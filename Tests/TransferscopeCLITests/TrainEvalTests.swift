import Foundation
import Testing
import TransferscopeIO
import TransferscopeTraining

/// Every test of the command-line tests, one at a time: commands set process-wide state (the
/// worker count) and some tests capture standard output.
@Suite("transferscope commands", .serialized)
struct CLITests {}

extension CLITests {
    @Suite("train and eval")
    struct TrainEval {
        @Test("train writes its run files, and the summary's final accuracy is what eval reports")
        func trainWritesRun() throws {
            let runs = try TrainedRuns.get()
            let run = runs.first
            for file in ["config.json", "run.json", "metrics.jsonl", "summary.json", "final.safetensors"] {
                #expect(FileManager.default.fileExists(atPath: run + "/" + file), "\(file)")
            }
            let config = try jsonObject(run + "/config.json")
            #expect(config["dataset"] as? String == TrainedRuns.data)
            #expect(config["epochs"] as? Int == 1 && config["batchSize"] as? Int == 16 && config["seed"] as? Int == 0)
            #expect(config["checkpointEpochs"] as? [Int] == [0, 1] && config["threads"] as? Int == 2)
            #expect((config["architecture"] as? [String: Any])?["widths"] as? [Int] == [4, 8, 8])
            let record = try jsonObject(run + "/run.json")
            #expect(record["version"] as? String == TransferscopeVersion.current)
            #expect(record["startEpochs"] as? [Int] == [0] && (record["starts"] as? [String])?.count == 1)

            let summary = try decode(TrainingSummary.self, run + "/summary.json")
            #expect(summary.epochs == 1 && summary.steps == TrainedRuns.trainImages / 16)
            #expect(summary.trainImages == TrainedRuns.trainImages && summary.testImages == TrainedRuns.testImages)
            #expect(
                summary.checkpoints == ["checkpoints/epoch-0000.safetensors", "checkpoints/epoch-0001.safetensors"])
            #expect(summary.finalCheckpoint == "final.safetensors" && summary.finalTrainAccuracy == nil)

            // metrics.jsonl: step lines, then one line per epoch (0 = the starting point).
            let lines = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            let epochLines = try lines.filter { line in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return object["kind"] as? String == "epoch"
            }
            let epochs = try epochLines.map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            }
            #expect(epochs.map { $0["epoch"] as? Int } == [0, 1])
            #expect(epochs.map { $0["step"] as? Int } == [0, summary.steps])
            #expect(epochs.map { $0["checkpoint"] as? String } == ["epoch-0000.safetensors", "epoch-0001.safetensors"])
            let last = try #require(epochs.last)
            // Compared with `summary`'s numbers, read by JSONDecoder, so read by it too (`exactNumber`).
            let accuracies = try epochLines.map { try exactNumber("test_accuracy", in: Data($0.utf8)) }
            #expect((accuracies.last ?? nil) == summary.finalTestAccuracy)
            #expect(summary.bestTestAccuracy == accuracies.compactMap { $0 }.max())

            // eval of the final model and of the starting point give the accuracies the run logged.
            for (checkpoint, logged) in [(runs.final(run), last), (runs.start(run), epochs[0])] {
                let out = try temporaryDirectory("eval")
                defer { try? FileManager.default.removeItem(atPath: out) }
                try CLI.run(["eval", checkpoint, "--data", TrainedRuns.data, "--out", out])
                let report = try jsonObject(out + "/eval.json")
                #expect(report["accuracy"] as? Double == logged["test_accuracy"] as? Double, "\(checkpoint)")
                let loss = try #require(report["loss"] as? Double)
                let loggedLoss = try #require(logged["test_loss"] as? Double)
                #expect(abs(loss - loggedLoss) <= 1e-6 * max(1, loggedLoss), "\(checkpoint)")
            }
            #expect(
                try decode(TrainingSummary.self, run + "/summary.json").finalTestAccuracy == summary.finalTestAccuracy)
        }

        @Test("train again with the same options leaves the finished run as it is")
        func finishedRunIsNotRedone() throws {
            let runs = try TrainedRuns.get()
            let before = try Data(contentsOf: URL(fileURLWithPath: runs.second + "/summary.json"))
            let weights = try Data(contentsOf: URL(fileURLWithPath: runs.final(runs.second)))
            try CLI.run(
                ["train", "--data", TrainedRuns.data] + TrainedRuns.recipe + [
                    "--seed", "1", "--checkpoint-epochs", "0,1", "--out", runs.second,
                ])
            #expect(try Data(contentsOf: URL(fileURLWithPath: runs.second + "/summary.json")) == before)
            #expect(try Data(contentsOf: URL(fileURLWithPath: runs.final(runs.second))) == weights)
        }

        @Test("train --init-seed: runs that share it start alike whatever their --seed; without it nothing is recorded")
        func initializationSeed() throws {
            let runs = try TrainedRuns.get()
            #expect(try jsonObject(runs.first + "/config.json")["initializationSeed"] == nil)
            let out = try temporaryDirectory("init-seed")
            defer { try? FileManager.default.removeItem(atPath: out) }
            for seed in ["0", "1"] {
                try CLI.run(
                    ["train", "--data", TrainedRuns.data] + TrainedRuns.recipe + [
                        "--seed", seed, "--init-seed", "5", "--checkpoint-epochs", "0,1", "--out", out + "/s" + seed,
                    ])
                #expect(try jsonObject(out + "/s\(seed)/config.json")["initializationSeed"] as? Int == 5)
            }
            func weights(_ path: String) throws -> [String: SafeTensors.Entry] {
                try SafeTensors(contentsOf: path).entries
            }
            #expect(try weights(runs.start(out + "/s0")) == weights(runs.start(out + "/s1")))
            #expect(try weights(runs.final(out + "/s0")) != weights(runs.final(out + "/s1")))
            #expect(try weights(runs.start(out + "/s0")) != weights(runs.start(runs.first)))
        }

        @Test("eval --out writes eval.json, confusion.csv and predictions.csv that agree with each other")
        func evalFiles() throws {
            let runs = try TrainedRuns.get()
            let out = try temporaryDirectory("eval")
            defer { try? FileManager.default.removeItem(atPath: out) }
            try CLI.run([
                "eval", runs.final(runs.second), "--data", TrainedRuns.data, "--batch-size", "7", "--out", out,
            ])
            let report = try jsonObject(out + "/eval.json")
            let classes = try #require(report["classes"] as? [String])
            #expect(classes.count == TrainedRuns.classes && report["images"] as? Int == TrainedRuns.testImages)
            #expect(report["split"] as? String == "test" && report["data"] as? String == TrainedRuns.data)
            let accuracy = try #require(report["accuracy"] as? Double)
            let perClass = try #require(report["per_class_accuracy"] as? [Double])

            let confusion = try csvRows(out + "/confusion.csv")
            #expect(confusion.first == ["true\\predicted"] + classes)
            #expect(confusion.dropFirst().map { $0[0] } == classes)
            let counts = try confusion.dropFirst().map { try $0.dropFirst().map { try #require(Int($0)) } }
            #expect(counts.count == classes.count && counts.allSatisfy { $0.count == classes.count })
            let total = counts.joined().reduce(0, +)
            #expect(total == TrainedRuns.testImages)
            let diagonal = counts.indices.map { counts[$0][$0] }
            #expect(Double(diagonal.reduce(0, +)) / Double(total) == accuracy)
            for k in counts.indices {
                let row = counts[k].reduce(0, +)
                #expect(perClass[k] == (row > 0 ? Double(diagonal[k]) / Double(row) : 0), "class \(k)")
            }

            let predictions = try csvRows(out + "/predictions.csv")
            #expect(
                predictions.first == ["index", "label", "predicted", "correct"] + (0..<classes.count).map { "p\($0)" })
            let rows = Array(predictions.dropFirst())
            #expect(rows.count == TrainedRuns.testImages)
            var tallied = [[Int]](repeating: [Int](repeating: 0, count: classes.count), count: classes.count)
            for (i, row) in rows.enumerated() {
                let fields = try row.prefix(4).map { try #require(Int($0)) }
                #expect(fields[0] == i && fields[1] == TrainedRuns.testLabel(i))
                #expect(fields[3] == (fields[1] == fields[2] ? 1 : 0), "row \(i)")
                let probabilities = try row.dropFirst(4).map { try number($0) }
                #expect(probabilities.count == classes.count)
                #expect(abs(probabilities.reduce(0, +) - 1) <= 1e-4, "row \(i)")
                // The prediction is the most probable class.
                #expect(probabilities[fields[2]] == probabilities.max(), "row \(i)")
                tallied[fields[1]][fields[2]] += 1
            }
            #expect(tallied == counts)
        }
    }
}
