import Foundation
import Testing
import TransferscopeAnalysis
import TransferscopeExperiments
import TransferscopeTraining

extension CLITests {
    @Suite("analyze experiments (training runs)")
    struct Experiments {
        /// The recipe of every target run of the experiments.
        static let recipe = ["--data", TrainedRuns.target, "--epochs", "1", "--batch-size", "16", "--threads", "2"]

        /// Checks runs.json, summary.json, summary.csv and curves.csv of an experiment against the
        /// run directories it names; returns the runs.
        static func checkOutcomes(_ out: String, settings: [String], kinds: [String], seeds: [UInt64]) throws
            -> [RunOutcome]
        {
            let runs = try decode([String: [RunOutcome]].self, out + "/runs.json")["runs"] ?? []
            var expected: [String] = []
            for setting in settings {
                for kind in kinds { for seed in seeds { expected.append("\(setting) \(kind) \(seed)") } }
            }
            #expect(
                Set(runs.map { "\($0.setting) \($0.kind.rawValue) \($0.seed)" }) == Set(expected)
                    && runs.count == expected.count)
            for run in runs {
                let summary = try decode(TrainingSummary.self, run.directory + "/summary.json")
                #expect(run.finalTestAccuracy == summary.finalTestAccuracy, "\(run.directory)")
                #expect(
                    run.curve.map { $0[0] } == [0, 3] && run.curve.last?[1] == summary.finalTestAccuracy,
                    "\(run.directory)")
            }
            let summary = try decode([SettingSummary].self, out + "/summary.json")
            #expect(
                summary.map { "\($0.setting) \($0.kind.rawValue)" }
                    == settings.flatMap { s in kinds.map { "\(s) \($0)" } })
            for entry in summary {
                let accuracies = runs.filter { $0.setting == entry.setting && $0.kind == entry.kind }.map(
                    \.finalTestAccuracy)
                #expect(
                    entry.accuracy.count == seeds.count && entry.accuracy.minimum == accuracies.min()
                        && entry.accuracy.maximum == accuracies.max())
                #expect(close(entry.accuracy.mean, accuracies.reduce(0, +) / Double(accuracies.count), 1e-12))
            }
            let table = try csvRows(out + "/summary.csv")
            #expect(
                table.dropFirst().map { [$0[0], $0[1], $0[6]] }
                    == summary.map { [$0.setting, $0.kind.rawValue, String(seeds.count)] })
            #expect(try csvRows(out + "/curves.csv").count == 1 + runs.reduce(0) { $0 + $1.curve.count })
            return runs
        }

        @Test("shuffle-sweep: every block size, P-T and RI-T, every seed, each a finished run")
        func shuffleSweep() throws {
            let runs = try TrainedRuns.get()
            let out = try temporaryDirectory("shuffle")
            defer { try? FileManager.default.removeItem(atPath: out) }
            try CLI.run(
                [
                    "analyze", "shuffle-sweep", "--source", runs.final(runs.first), "--block-sizes", "8,2", "--seeds",
                    "3,5",
                ]
                    + Self.recipe + ["--out", out])
            let outcomes = try Self.checkOutcomes(out, settings: ["b8", "b2"], kinds: ["PT", "RIT"], seeds: [3, 5])
            for run in outcomes {
                #expect(run.directory == "\(out)/\(run.setting)/\(run.kind.rawValue)-s\(run.seed)")
                let config = try jsonObject(run.directory + "/config.json")
                #expect(config["seed"] as? Int == Int(run.seed) && config["dataset"] as? String == TrainedRuns.target)
                #expect((config["initialization"] as? String != nil) == (run.kind == .fineTuned), "\(run.directory)")
            }
        }

        @Test("checkpoints: a fine-tune from each requested source epoch, beside the source's accuracy per epoch")
        func checkpointChoice() throws {
            let runs = try TrainedRuns.get()
            let out = try temporaryDirectory("checkpoints")
            defer { try? FileManager.default.removeItem(atPath: out) }
            try CLI.run(
                ["analyze", "checkpoints", "--source-run", runs.first, "--source-epochs", "0,1", "--seeds", "4"]
                    + Self.recipe + ["--out", out])
            let outcomes = try Self.checkOutcomes(out, settings: ["0", "1"], kinds: ["PT"], seeds: [4])
            for run in outcomes {
                let config = try jsonObject(run.directory + "/config.json")
                let source = "\(runs.first)/checkpoints/epoch-000\(run.setting).safetensors"
                #expect(
                    (config["initialization"] as? String).map { URL(fileURLWithPath: $0).standardized.path }
                        == URL(fileURLWithPath: source).standardized.path)
            }
            let metrics = try String(contentsOfFile: runs.first + "/metrics.jsonl", encoding: .utf8).split(
                separator: "\n"
            ).compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.filter { $0["kind"] as? String == "epoch" }
            let source = try csvRows(out + "/source.csv")
            #expect(source.first == ["source_epoch", "source_test_accuracy"])
            #expect(
                try source.dropFirst().map { try number($0[1]) }
                    == metrics.compactMap { $0["test_accuracy"] as? Double })
            #expect(source.dropFirst().map { $0[0] } == ["0", "1"])
        }
    }
}
