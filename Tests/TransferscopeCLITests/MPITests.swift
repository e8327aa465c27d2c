import Foundation
import Testing
import TransferscopeIO

@testable import TransferscopeMPI

/// `transferscope` under `mpirun` (Open MPI), as a user runs it: the built binary started by
/// `mpirun --oversubscribe -n N`. Skipped where Open MPI is not installed, except in CI, where
/// `.ci/run` installs it and its absence fails the suite.
enum MPIRun {
    /// `mpirun` on the PATH, if any.
    static let mpirun: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/mpirun" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }()

    /// The `transferscope` binary built beside this test bundle.
    static let binary: String? = {
        let candidates = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL,
        ]
        return candidates.map { $0.appendingPathComponent("transferscope").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var available: Bool { mpirun != nil && binary != nil }

    /// A finished command: its exit status and what it printed (both streams).
    struct Outcome {
        var status: Int32
        var output: String
    }

    /// Starts `transferscope ARGUMENTS` under `mpirun -n ranks` (or alone when `ranks` is nil).
    static func start(_ ranks: Int?, _ arguments: [String]) throws -> (Process, URL) {
        guard let mpirun, let binary else { throw CocoaError(.fileNoSuchFile) }
        let process = Process()
        if let ranks {
            process.executableURL = URL(fileURLWithPath: mpirun)
            process.arguments = ["--oversubscribe", "-n", "\(ranks)", binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        // CI runs as root, which mpirun refuses unless told.
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        process.environment = environment
        let log = URL(fileURLWithPath: NSTemporaryDirectory() + "transferscope-mpi-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return (process, log)
    }

    /// Runs `transferscope ARGUMENTS` under `mpirun -n ranks` (alone when nil) to the end, at
    /// most `timeout` seconds (then it is killed and the outcome says so).
    static func run(_ ranks: Int?, _ arguments: [String], timeout: Double = 300) throws -> Outcome {
        let (process, log) = try start(ranks, arguments)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        let timedOut = process.isRunning
        if timedOut {
            process.terminate()
            process.waitUntilExit()
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: log)
        return Outcome(
            status: timedOut ? -1 : process.terminationStatus, output: output + (timedOut ? "\n(timed out)" : ""))
    }

    /// The processes whose parent is `parent` (from /proc: the ranks mpirun started).
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            // "pid (name) state ppid ...": the parent is the second field after the name.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent
        }
    }

    /// Where the results.json of two study directories first differ, timings aside (every key
    /// that names seconds): the key path and both values; nil when they are equal.
    static func firstDifference(_ a: String, _ b: String) throws -> String? {
        func load(_ directory: String) throws -> Any {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/results.json")))
        }
        func compare(_ x: Any, _ y: Any, _ path: String) -> String? {
            if let x = x as? [String: Any], let y = y as? [String: Any] {
                let keys = Set(x.keys).union(y.keys).filter { !$0.lowercased().contains("second") }.sorted()
                for key in keys {
                    guard let u = x[key], let v = y[key] else { return "\(path)/\(key): present in one only" }
                    if let found = compare(u, v, path + "/" + key) { return found }
                }
                return nil
            }
            if let x = x as? [Any], let y = y as? [Any] {
                guard x.count == y.count else { return "\(path): \(x.count) against \(y.count) elements" }
                for (index, (u, v)) in zip(x, y).enumerated() {
                    if let found = compare(u, v, "\(path)[\(index)]") { return found }
                }
                return nil
            }
            return "\(x)" == "\(y)" ? nil : "\(path): \(x) against \(y)"
        }
        return compare(try load(a), try load(b), "")
    }
}

extension CLITests {
    @Suite("MPI (mpirun)", .serialized, .enabled(if: MPIRun.available, "Open MPI's mpirun is not installed"))
    struct MPI {
        static let data = "procedural:side=8,train=96,test=32,classes=4"

        @Test("train over 2 ranks: the same bits twice, and one process's model within 2e-5")
        func dataParallelTrain() throws {
            let directory = try temporaryDirectory("mpi-train")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let common = [
                "train", "--data", Self.data, "--model", "resnet8", "--widths", "4,8,8", "--epochs", "2",
                "--batch-size", "16", "--threads", "1",
            ]
            for (ranks, name) in [(2, "a"), (2, "b"), (nil, "alone")] as [(Int?, String)] {
                let outcome = try MPIRun.run(ranks, common + ["--out", directory + "/" + name])
                #expect(outcome.status == 0, "\(outcome.output)")
            }
            let (a, b, alone) = try ["a", "b", "alone"].map {
                try SafeTensors(contentsOf: directory + "/\($0)/final.safetensors")
            }
            .tuple3()
            var largest: Float = 0
            for name in a.entries.keys {
                guard let x = a.floats(name)?.values, let y = b.floats(name)?.values,
                    let z = alone.floats(name)?.values
                else { continue }
                #expect(x == y, "\(name) differs between two runs over 2 ranks")
                let scale = max(1, z.map(abs).max() ?? 0)
                for (p, q) in zip(x, z) { largest = max(largest, abs(p - q) / scale) }
            }
            #expect(largest < 2e-5 && largest > 0, "largest relative difference to one process: \(largest)")
            // Rank 0 alone wrote: one start in run.json, one line per epoch.
            let epochs = try String(contentsOfFile: directory + "/a/metrics.jsonl", encoding: .utf8)
                .split(separator: "\n").filter { $0.contains("\"kind\":\"epoch\"") }
            #expect(epochs.count == 3)
            let record = try jsonObject(directory + "/a/run.json")
            #expect((record["starts"] as? [Any])?.count == 1)
        }

        @Test("train over 2 ranks killed after an epoch and started again over 2 ranks: the uninterrupted run's bits")
        func dataParallelResume() throws {
            let directory = try temporaryDirectory("mpi-train-resume")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let common = [
                "train", "--data", "procedural:side=8,train=384,test=32,classes=4", "--model", "resnet8", "--widths",
                "4,8,8", "--epochs", "4", "--batch-size", "16", "--threads", "1",
            ]
            let whole = try MPIRun.run(2, common + ["--out", directory + "/whole"])
            #expect(whole.status == 0, "\(whole.output)")
            // Killed (-9, every rank) once epoch 1's resume state is saved.
            let out = directory + "/killed"
            let (process, log) = try MPIRun.start(2, common + ["--out", out])
            defer { try? FileManager.default.removeItem(at: log) }
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning && Date() < deadline
                && !FileManager.default.fileExists(atPath: out + "/resume/state.json")
            {
                usleep(5_000)
            }
            for rank in MPIRun.children(of: process.processIdentifier) { kill(rank, SIGKILL) }
            process.waitUntilExit()
            #expect(!FileManager.default.fileExists(atPath: out + "/summary.json"), "the run ended before the kill")
            let resumed = try MPIRun.run(2, common + ["--out", out])
            #expect(resumed.status == 0, "\(resumed.output)")
            let (a, b) = (
                try SafeTensors(contentsOf: out + "/final.safetensors"),
                try SafeTensors(contentsOf: directory + "/whole/final.safetensors")
            )
            #expect(a.entries.keys.sorted() == b.entries.keys.sorted())
            for name in a.entries.keys { #expect(a.floats(name)?.values == b.floats(name)?.values, "\(name)") }
            let record = try jsonObject(out + "/run.json")
            #expect((record["starts"] as? [Any])?.count == 2)
        }

        /// The CLI tests' micro study: every analysis on the smallest data that trains.
        static let microStudy = StudyCommands.study

        @Test("study run over 2 ranks writes one process's results.json (timings aside), every node on some rank")
        func studyEqualsOneProcess() throws {
            let directory = try temporaryDirectory("mpi-study")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let file = directory + "/micro.yaml"
            try Self.microStudy.write(toFile: file, atomically: true, encoding: .utf8)
            let alone = try MPIRun.run(nil, ["study", "run", file, "--out", directory + "/alone", "--threads", "1"])
            #expect(alone.status == 0, "\(alone.output)")
            let split = try MPIRun.run(2, ["study", "run", file, "--out", directory + "/split", "--threads", "1"])
            #expect(split.status == 0, "\(split.output)")
            #expect(split.output.contains("on rank 1") && split.output.contains("on rank 0"), "\(split.output)")
            let difference = try MPIRun.firstDifference(directory + "/split", directory + "/alone")
            #expect(difference == nil, "results.json differs from one process's at \(difference ?? "")")
        }

        static let resumeStudy = """
            name: mpi-resume
            source: {data: "procedural:side=8,train=192,test=32,classes=4", model: resnet8, widths: [4, 4, 4], epochs: \
            3, batch_size: 32}
            targets:
              - {data: "procedural:side=8,train=96,test=24,classes=3,shift=0.6,seed=4"}
            recipe: {epochs: 8, batch_size: 16}
            seeds: [0, 1, 2]
            analyses: {shuffle: false, criticality: false, checkpoints: false, cka: {images: 24}, \
            interpolation: {points: 3, train_images: 24, bn_batches: 1}}
            """

        /// Starts the study under `mpirun -n 2` and stops it (SIGTERM to mpirun, which stops the
        /// ranks) once `after` more nodes are done; returns how many were done then.
        static func interrupt(_ file: String, _ out: String, after: Int) throws -> Int {
            let count = { () -> Int in
                let results = out + "/results"
                let folders = (FileManager.default.subpaths(atPath: results) ?? [])
                return folders.filter { $0.hasSuffix("done.json") }.count
            }
            let before = count()
            let (process, log) = try MPIRun.start(2, ["study", "run", file, "--out", out, "--threads", "1"])
            defer { try? FileManager.default.removeItem(at: log) }
            let deadline = Date().addingTimeInterval(300)
            while process.isRunning && count() < before + after && Date() < deadline { usleep(20_000) }
            // Kill -9 the ranks, as a crash or a scheduler's time limit does; mpirun then ends the job.
            for rank in MPIRun.children(of: process.processIdentifier) { kill(rank, SIGKILL) }
            let stop = Date().addingTimeInterval(30)
            while process.isRunning && Date() < stop { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return count()
        }

        @Test(
            """
            A study killed in the middle over 2 ranks, restarted over 2 ranks and killed again, then finished by one \
            process: one uninterrupted process's results.json
            """
        )
        func killAndResume() throws {
            let directory = try temporaryDirectory("mpi-resume")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let file = directory + "/resume.yaml"
            try Self.resumeStudy.write(toFile: file, atomically: true, encoding: .utf8)
            let reference = try MPIRun.run(
                nil, ["study", "run", file, "--out", directory + "/reference", "--threads", "1"])
            #expect(reference.status == 0, "\(reference.output)")
            let nodes = (FileManager.default.subpaths(atPath: directory + "/reference/results") ?? [])
                .filter { $0.hasSuffix("done.json") }.count

            let out = directory + "/interrupted"
            let first = try Self.interrupt(file, out, after: 3)
            let second = try Self.interrupt(file, out, after: 4)
            #expect(
                first >= 3 && second > first && second < nodes, "done after each kill: \(first), \(second) of \(nodes)")
            let last = try MPIRun.run(nil, ["study", "run", file, "--out", out, "--threads", "1"])
            #expect(last.status == 0, "\(last.output)")
            #expect(last.output.contains("done earlier"))
            let difference = try MPIRun.firstDifference(out, directory + "/reference")
            #expect(difference == nil, "results.json differs from one process's at \(difference ?? "")")
        }

        @Test("A node that fails on one rank stops every rank with its message and a non-zero status, promptly")
        func failingNodeStopsAll() throws {
            let directory = try temporaryDirectory("mpi-fail")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let file = directory + "/fail.yaml"
            // The target's 48 training images are fewer than one batch of 64: its runs fail when they start.
            try Self.microStudy.replacingOccurrences(of: "batch_size: 16", with: "batch_size: 64")
                .write(toFile: file, atomically: true, encoding: .utf8)
            let start = Date()
            let outcome = try MPIRun.run(
                2, ["study", "run", file, "--out", directory + "/out", "--threads", "1"], timeout: 120)
            #expect(outcome.status != 0)
            #expect(!outcome.output.contains("(timed out)"))
            #expect(outcome.output.contains("failed on MPI rank"), "\(outcome.output)")
            #expect(outcome.output.contains("fewer than one batch of 64"), "\(outcome.output)")
            #expect(Date().timeIntervalSince(start) < 120)
            #expect(!FileManager.default.fileExists(atPath: directory + "/out/results.json"))
        }

        @Test("Commands other than train and study run are refused over 2 ranks, naming the two that run there")
        func otherCommandsRefused() throws {
            let outcome = try MPIRun.run(2, ["data", "list"], timeout: 60)
            #expect(outcome.status != 0)
            #expect(outcome.output.contains("only `transferscope train` and `transferscope study run` run over MPI"))
        }
    }

    @Test("CI has Open MPI: the MPI tests above must not be skipped there")
    func mpiPresentInCI() {
        guard ProcessInfo.processInfo.environment["CI"] == "true" else { return }
        #expect(MPIRun.mpirun != nil, "mpirun is missing: .ci/run installs openmpi-bin")
        #expect(MPIRun.binary != nil, "the transferscope binary was not found beside the test bundle")
    }

    @Test("An MPI launcher is recognized from its environment; TRANSFERSCOPE_MPI=0 turns MPI off")
    func launcherDetection() {
        #expect(!MPIProcessGroup.launchedByMPI([:]))
        #expect(MPIProcessGroup.launchedByMPI(["OMPI_COMM_WORLD_SIZE": "2"]))
        #expect(MPIProcessGroup.launchedByMPI(["PMIX_RANK": "0"]))
        #expect(MPIProcessGroup.launchedByMPI(["PMI_RANK": "1"]))
        #expect(!MPIProcessGroup.launchedByMPI(["OMPI_COMM_WORLD_SIZE": "2", "TRANSFERSCOPE_MPI": "0"]))
    }
}

extension Array {
    /// The first three elements as a tuple.
    fileprivate func tuple3() -> (Element, Element, Element) { (self[0], self[1], self[2]) }
}
