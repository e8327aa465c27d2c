import Foundation
import Testing

extension CLITests {
    @Suite("study status estimates the wall time")
    struct StudyStatusEstimate {
        @Test("study status prints the estimate before the plan; --no-estimate leaves it out")
        func estimateLine() throws {
            let directory = try temporaryDirectory("estimate")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let file = directory + "/micro.yaml"
            try StudyCommands.study.write(toFile: file, atomically: true, encoding: .utf8)
            let out = directory + "/out"

            let lines = try CLI.output(["study", "status", file, "--out", out, "--threads", "1"])
                .split(separator: "\n").map(String.init)
            let first = try #require(lines.first)
            #expect(first.hasPrefix("Estimated wall time on this machine (1 thread): "))
            #expect(first.contains("for the 27 nodes to run"))
            #expect(first.hasSuffix("for the whole plan of 27 nodes"))
            #expect(lines.count > 1 && lines[1].hasPrefix("  from measured costs of "))
            #expect(
                lines[1].contains("ms/image trained (batch 16)") && lines[1].contains("ms/image trained (batch 32)"))
            #expect(lines.last == "0 of 27 done")

            let plain = try CLI.output(["study", "status", file, "--out", out, "--no-estimate"])
            #expect(!plain.contains("Estimated wall time"))
            #expect(plain.split(separator: "\n").map(String.init) == Array(lines.dropFirst(2)))
        }

        @Test("--ranks adds the simulated wall time on each count of ranks and the critical path after the estimate")
        func ranks() throws {
            let directory = try temporaryDirectory("estimate-ranks")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let file = directory + "/micro.yaml"
            try StudyCommands.study.write(toFile: file, atomically: true, encoding: .utf8)
            let out = directory + "/out"

            let lines = try CLI.output(["study", "status", file, "--out", out, "--threads", "1", "--ranks", "3,1"])
                .split(separator: "\n").map(String.init)
            try #require(lines.count > 5)
            #expect(lines[0].hasPrefix("Estimated wall time on this machine (1 thread): "))
            #expect(lines[2].hasPrefix("On 3 ranks of 1 thread each (each running one node at a time): "))
            #expect(lines[2].contains(" for the 27 nodes to run, the ranks busy ") && lines[2].hasSuffix("% of it"))
            // On 1 rank: the sum of the nodes' times, the estimate's own.
            let sum = try #require(lines[0].split(separator: ": ").last?.split(separator: " for the").first)
            #expect(lines[3].hasPrefix("On 1 rank of 1 thread each (each running one node at a time): \(sum) for "))
            #expect(lines[3].hasSuffix("the ranks busy 100% of it"))
            // P first on the longest path, then a target run (every analysis reads one).
            #expect(lines[4].hasPrefix("  critical path ") && lines[4].contains("ranks): pretrain -> "))
            let plain = try CLI.output(["study", "status", file, "--out", out, "--no-estimate"])
            #expect(plain.split(separator: "\n").map(String.init) == Array(lines.dropFirst(5)))
        }

        @Test("A source whose size is unknown says so instead of an estimate")
        func unknownSource() throws {
            let directory = try temporaryDirectory("estimate-unknown")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try FileManager.default.createDirectory(atPath: directory + "/images", withIntermediateDirectories: true)
            let file = directory + "/folder.yaml"
            try """
            name: folder-source
            source: {data: "\(directory)/images", model: resnet8}
            targets:
              - {data: "procedural:side=8"}
            """.write(toFile: file, atomically: true, encoding: .utf8)
            let output = try CLI.output(["study", "status", file, "--out", directory + "/out"])
            #expect(
                output.hasPrefix(
                    "Estimated wall time on this machine: unknown: the image size of the source \(directory)/images "
                        + "is unknown: known once its files are read"))
        }
    }
}
