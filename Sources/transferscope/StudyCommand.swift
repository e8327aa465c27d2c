import ArgumentParser
import Foundation
import TransferscopeCore
import TransferscopeMPI
import TransferscopeStudy
import TransferscopeTraining

/// `transferscope study ...`: run a whole study and write its report.
struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract:
            "Run a whole study (pre-train, fine-tune vs from scratch with seeds, every analysis) and write its report.",
        discussion: """
            A study file (YAML) names the source, targets, recipes, seeds and analyses; presets are in \
            studies/ (quick, default, paper). Results are cached under keys derived from the version, the \
            settings and the data's sizes and modification times: running a study again does only what \
            changed (touch the data to force a rerun), and a killed study resumes.
            Example: transferscope study run studies/quick.yaml --out studies-out/quick
            """,
        subcommands: [Run.self, Status.self, Report.self])

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the study's plan and write results.json and report.html.")
        @Argument(help: "The study file (YAML).") var file: String
        @Option(help: "Directory for the runs, results and report.") var out: String
        @Option(parsing: .unconditional, help: "Worker threads (default: all cores).") var threads: Int?

        func validate() throws { try FlagCheck.require(threads, in: FlagCheck.threads, "--threads") }

        func run() throws {
            try Parallel.withWorkers(threads ?? Parallel.workerCount) { try perform() }
        }

        /// The command's work, under its worker count.
        func perform() throws {
            let study = try StudyFile.load(file)
            let missing = study.missingDataFiles
            guard missing.isEmpty else {
                throw RunError("\(file): data files that do not exist: \(missing.joined(separator: ", "))")
            }
            let runner = try StudyRunner(study: study, directory: out, threads: threads ?? Parallel.workerCount)
            let display = ProgressDisplay(label: "  ")
            runner.onTraining = display.handle
            runner.onProgress = { index, count, id, message in printError("[\(index)/\(count)] \(id): \(message)") }
            let start = Date()
            // Under mpirun the plan's nodes are spread over the processes; rank 0 reports.
            if let world = try MPIProcessGroup.world(), world.size > 1 {
                if world.rank != 0 { runner.onTraining = { _ in } }
                try runner.run(over: world)
                guard world.rank == 0 else { return }
            } else {
                try runner.run()
            }
            print(
                String(
                    format: "study %@ finished in %@; report: %@/report.html", study.name,
                    ProgressDisplay.duration(Date().timeIntervalSince(start)), out))
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the plan: what is done and what remains, and the estimated wall time on this machine.",
            discussion: """
                The estimate counts the images each node trains and evaluates, at costs measured here first \
                (a second or two of training steps and forward passes of the study's model); cached nodes cost \
                nothing. --no-estimate skips it. --ranks N (or N,M,...) adds the wall time on N MPI ranks like \
                this machine, each running one node at a time with --threads workers (`mpirun -n N transferscope \
                study run`: every rank runs nodes, rank 0 too), simulated by the scheduler's own choice of the \
                next node, with the critical path (the least wall time on any number of ranks) and how busy the \
                ranks are.
                """)
        @Argument(help: "The study file (YAML).") var file: String
        @Option(help: "The study's output directory.") var out: String
        @Option(parsing: .unconditional, help: "Worker threads the estimate is for (default: all cores, as study run).")
        var threads: Int?
        @Option(
            parsing: .unconditional,
            help: "Also simulate the work left on N MPI ranks (N, or N,M,...), each running one node at a time.")
        var ranks: CommaList<Int>?
        @Flag(help: "Skip the estimate of the wall time (and its measurement).") var noEstimate = false

        func validate() throws {
            try FlagCheck.require(threads, in: FlagCheck.threads, "--threads")
            try FlagCheck.require(ranks, in: FlagCheck.ranks, "--ranks")
            if ranks != nil && noEstimate {
                throw ValidationError("--ranks simulates the estimate, which --no-estimate skips: give one of them")
            }
        }

        func run() throws {
            let runner = try StudyRunner(study: try StudyFile.load(file), directory: out)
            if !noEstimate {
                let done = Set(runner.plan.nodes.filter { runner.isDone($0) }.map(\.id))
                do {
                    let estimate = try StudyEstimate.measure(
                        study: runner.study, plan: runner.plan, done: done, threads: threads ?? Parallel.workerCount)
                    for line in estimate.lines { print(line) }
                    if let ranks {
                        let schedule = StudySchedule(estimate)
                        for line in schedule.lines(ranks: ranks.values, threads: estimate.costs.threads) {
                            print(line)
                        }
                    }
                } catch {
                    print("Estimated wall time on this machine: unknown: \(error.localizedDescription)")
                }
            }
            var remaining = 0
            for node in runner.plan.nodes {
                let done = runner.isDone(node)
                if !done { remaining += 1 }
                print(
                    "\(done ? "done   " : "to do  ") \(node.id.padded(to: 34)) \(node.kind.rawValue) key "
                        + "\(node.key.prefix(12))"
                )
            }
            print("\(runner.plan.nodes.count - remaining) of \(runner.plan.nodes.count) done")
            let missing = runner.study.missingDataFiles
            if !missing.isEmpty {
                print("data files that do not exist (study run will refuse): \(missing.joined(separator: ", "))")
            }
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild results.json and report.html from the results alone.")
        @Argument(help: "The study file (YAML).") var file: String
        @Option(help: "The study's output directory.") var out: String
        @Flag(help: "Print the scorecard (targets by distance, every finding) as Markdown instead of the path.")
        var markdown = false

        func run() throws {
            let runner = try StudyRunner(study: try StudyFile.load(file), directory: out)
            let path = try runner.report()
            if markdown {
                print(MarkdownScorecard.render(try StudyResults.load(from: out)), terminator: "")
            } else {
                print("wrote \(path)")
            }
        }
    }
}
