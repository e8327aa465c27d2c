import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeIO

@testable import TransferscopeTraining

/// Data-parallel training (`Trainer.processGroup`) with ranks as threads of this process
/// (`LocalProcessGroup`): the same steps as one process up to rounding, the same bits for the
/// same rank count, files written once, and resume after a kill. The MPI transport itself is
/// tested through `mpirun` in the CLI tests.
@Suite("Data-parallel training", .serialized)
struct DataParallelTrainingTests {
    /// Small's 3-epoch run with one worker per rank.
    static let configuration: TrainingConfiguration = {
        var configuration = Small.configuration(epochs: 3)
        configuration.threads = 1
        return configuration
    }()

    /// Trains `configuration` in `directory` over `ranks` ranks; every rank's summary.
    static func train(
        ranks: Int, in directory: String, configuration: TrainingConfiguration = configuration,
        onWriterEvent: @escaping @Sendable (TrainingEvent) -> Void = { _ in }
    ) throws -> [TrainingSummary] {
        try LocalProcessGroup.run(ranks: ranks) { group in
            let trainer = Trainer(configuration: configuration, directory: directory)
            trainer.processGroup = group
            if group.rank == 0 { trainer.onEvent = onWriterEvent }
            return try trainer.run(data: Small.data)
        }
    }

    /// The largest difference between two checkpoints' tensors, relative to the largest value.
    static func largestDifference(_ a: String, _ b: String) throws -> Float {
        let (x, y) = (try SafeTensors(contentsOf: a), try SafeTensors(contentsOf: b))
        #expect(Set(x.entries.keys) == Set(y.entries.keys))
        var largest: Float = 0
        for name in x.entries.keys {
            guard let u = x.floats(name)?.values, let v = y.floats(name)?.values else { continue }
            let scale = max(1, u.map(abs).max() ?? 0)
            for (p, q) in zip(u, v) { largest = max(largest, abs(p - q) / scale) }
        }
        return largest
    }

    /// The epoch lines of a run's metrics without their timings.
    static func epochLines(_ directory: String) throws -> [String] {
        try String(contentsOfFile: directory + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
            .filter { $0.contains("\"kind\":\"epoch\"") }
            .map { $0.replacingOccurrences(of: #""seconds":[0-9.e-]+"#, with: "", options: .regularExpression) }
    }

    @Test(
        """
        2 and 4 ranks train the same model as one process within 2e-4 (relative, after 36 SGD steps), \
        with the same test accuracy; every rank returns the writer's summary
        """,
        arguments: [2, 4])
    func matchesOneProcess(ranks: Int) throws {
        let (alone, split) = (Small.temporaryDirectory(), Small.temporaryDirectory())
        defer {
            try? FileManager.default.removeItem(atPath: alone)
            try? FileManager.default.removeItem(atPath: split)
        }
        let reference = try Trainer(configuration: Self.configuration, directory: alone).run(data: Small.data)
        let summaries = try Self.train(ranks: ranks, in: split)
        #expect(summaries.allSatisfy { $0.finalTestAccuracy == summaries[0].finalTestAccuracy })
        #expect(abs(summaries[0].finalTestAccuracy - reference.finalTestAccuracy) <= 1.0 / 128 + 1e-9)
        #expect(summaries[0].steps == reference.steps)
        let difference = try Self.largestDifference(alone + "/final.safetensors", split + "/final.safetensors")
        // Rounding differences of the reordered sums grow along the 36 steps: 4e-7 seen on the
        // default path, 2.6e-5 with the AVX2 kernels and OpenBLAS's Prescott kernels. A gradient 1%
        // off after the reduction (a mutation of sumGradients) moves the weights by 1.4.
        #expect(difference < 2e-4, "largest relative difference \(difference)")
        // Not the same bits: the sums run in another order (were they equal, the split would not be tested).
        #expect(difference > 0)
    }

    @Test("Two runs over 3 ranks give the same bits: checkpoints, metrics and summaries")
    func sameBitsTwice() throws {
        let (first, second) = (Small.temporaryDirectory(), Small.temporaryDirectory())
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        var configuration = Self.configuration
        configuration.batchSize = 30  // 10 images per rank
        _ = try Self.train(ranks: 3, in: first, configuration: configuration)
        _ = try Self.train(ranks: 3, in: second, configuration: configuration)
        for name in ["final.safetensors", "checkpoints/epoch-0001.safetensors"] {
            #expect(try Small.tensors(first + "/" + name) == Small.tensors(second + "/" + name), "\(name)")
        }
        #expect(try Self.epochLines(first) == Self.epochLines(second))
    }

    @Test("Killed after an epoch and started again over 2 ranks: the uninterrupted run's bits")
    func resumeAfterKill() throws {
        let (uninterrupted, killed) = (Small.temporaryDirectory(), Small.temporaryDirectory())
        defer {
            try? FileManager.default.removeItem(atPath: uninterrupted)
            try? FileManager.default.removeItem(atPath: killed)
        }
        // The directory as a kill right after epoch 1's state was saved leaves it (the writer
        // holds the others at the next collective while it copies).
        _ = try Self.train(ranks: 2, in: uninterrupted) { event in
            if case .epochEnded(let metrics) = event, metrics.epoch == 1 {
                try? FileManager.default.copyItem(atPath: uninterrupted, toPath: killed)
            }
        }
        #expect(FileManager.default.fileExists(atPath: killed + "/resume/state.json"))
        let resumedFrom = SlotArray<Int>(count: 1, initial: -1)
        _ = try Self.train(ranks: 2, in: killed) { event in
            if case .started(let epoch, _, _, _, _) = event { resumedFrom[0] = epoch }
        }
        #expect(resumedFrom[0] == 1)
        #expect(try Small.tensors(killed + "/final.safetensors") == Small.tensors(uninterrupted + "/final.safetensors"))
        #expect(try Self.epochLines(killed) == Self.epochLines(uninterrupted))
    }

    @Test("A batch that does not split over the ranks is refused before anything is written")
    func unevenBatchRefused() throws {
        let directory = Small.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect {
            _ = try Self.train(ranks: 3, in: directory)
        } throws: { error in
            let message = (error as? LocalizedError)?.errorDescription ?? ""
            return message.contains("batch size 32") && message.contains("3 MPI processes")
                && message.contains("--batch-size")
        }
        #expect(!FileManager.default.fileExists(atPath: directory))
    }
}
