import Foundation
import Testing

/// The report's escaping of text (its `e`): &, < and >.
func escaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
        of: ">", with: "&gt;")
}

extension CLITests {
    @Suite("study run, status and report")
    struct StudyCommands {
        /// Every analysis on the smallest data that trains: two seeds, one epoch each.
        static let study = """
            name: cli-micro
            source: {data: "procedural:side=8,train=96,test=32,classes=4", model: resnet8, widths: [4, 4, 4], epochs: \
            1, batch_size: 32}
            targets:
              - {data: "procedural:side=8,train=48,test=24,classes=3,shift=0.6,seed=4"}
            recipe: {epochs: 1, batch_size: 16}
            seeds: [0, 1]
            analyses:
              shuffle: {block_sizes: [8, 1], epochs: 1}
              cka: {images: 24}
              interpolation: {points: 3, train_images: 24, bn_batches: 1}
              criticality: {alphas: 2, sigmas: [0.5], samples: 1, train_images: 24}
              checkpoints: {epochs: 1}
            """

        @Test(
            """
            study run does the whole plan; status reports every node done; report rebuilds the same self-contained \
            page from results.json
            """
        )
        func studyRunStatusReport() throws {
            let directory = try temporaryDirectory("study")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let file = directory + "/micro.yaml"
            let out = directory + "/out"
            try Self.study.write(toFile: file, atomically: true, encoding: .utf8)
            try CLI.run(["study", "run", file, "--out", out, "--threads", "2"])

            let status = try CLI.output(["study", "status", file, "--out", out]).split(separator: "\n").map(String.init)
            let nodes = status.filter { $0.hasPrefix("done") || $0.hasPrefix("to do") }
            #expect(!nodes.isEmpty && nodes.allSatisfy { $0.hasPrefix("done ") })
            #expect(status.last == "\(nodes.count) of \(nodes.count) done")
            // Each node by its whole id (a long id once lost its end, so a target's nodes looked alike).
            let ids = nodes.map { String($0.split(separator: " ")[1]) }
            let targetName = "procedural-side-8-train-48-test-24-classes-3-shift-0-6-seed-4"
            // P, 2 P-T, 2 RI-T, 2 same-init RI-T, 2 RI-T at P-T's rate, 7 analyses, and the experiments' parts:
            // the shuffle sweep's 3 settings (b8, b1, pixel) and the checkpoint choice's 2 source epochs, 2 seeds each.
            #expect(Set(ids).count == ids.count && ids.count == 27)
            #expect(ids.contains(targetName + "/shuffle/b1-s1") && ids.contains(targetName + "/checkpoints/epoch-1-s0"))
            #expect(
                ids.first == "pretrain" && ids.contains(targetName + "/interpolation")
                    && ids.contains(targetName + "/PT-s1"))

            // `train` with the study's settings writes the study's config.json, for P and for a P-T run.
            let runs = out + "/runs"
            let manager = FileManager.default
            let pretrain = try #require(
                try manager.contentsOfDirectory(atPath: runs).first { $0.hasPrefix("pretrain-") })
            try CLI.run([
                "train", "--data", "procedural:side=8,train=96,test=32,classes=4", "--model", "resnet8", "--widths",
                "4,4,4",
                "--epochs", "1", "--batch-size", "32", "--seed", "1000003", "--checkpoint-epochs", "all", "--threads",
                "2",
                "--out", directory + "/P",
            ])
            let studyP = try jsonObject(runs + "/" + pretrain + "/config.json") as NSDictionary
            #expect(studyP == (try jsonObject(directory + "/P/config.json") as NSDictionary))
            let fineTuned = try #require(
                try manager.contentsOfDirectory(atPath: runs + "/" + targetName).first { $0.hasPrefix("PT-s0-") })
            try CLI.run([
                "train", "--data", "procedural:side=8,train=48,test=24,classes=3,shift=0.6,seed=4",
                "--init", runs + "/" + pretrain + "/final.safetensors", "--epochs", "1", "--batch-size", "16", "--lr",
                "0.02",
                "--seed", "0", "--checkpoint-epochs", "0,1", "--train-eval-size", "1000", "--log-every", "10",
                "--threads", "2",
                "--out", directory + "/PT",
            ])
            let studyPT = try jsonObject(runs + "/" + targetName + "/" + fineTuned + "/config.json") as NSDictionary
            #expect(studyPT == (try jsonObject(directory + "/PT/config.json") as NSDictionary))

            let first = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
            try FileManager.default.removeItem(atPath: out + "/report.html")
            let printed = try CLI.output(["study", "report", file, "--out", out])
            #expect(printed.contains(out + "/report.html"))
            let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
            #expect(html == first, "study report rebuilds the page study run wrote")

            let results = try jsonObject(out + "/results.json")
            let findings = try #require(results["findings"] as? [[String: Any]])
            #expect(findings.count == 13)
            // The Markdown scorecard: one table row per finding, with its verdict.
            let markdown = try CLI.output(["study", "report", file, "--out", out, "--markdown"])
            let rows = markdown.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| claim") }
            #expect(rows.count >= findings.count)
            for finding in findings {
                let claim = finding["claim"] as? String ?? "?"
                let verdict = finding["verdict"] as? String ?? "?"
                #expect(rows.contains { $0.hasPrefix("| \(claim) |") && $0.contains("| \(verdict) |") }, "\(claim)")
            }
            for finding in findings {
                let row = ["claim", "target", "verdict", "reason", "evidence"].map {
                    escaped(finding[$0] as? String ?? "?")
                }
                let css =
                    ["holds": "holds", "does not hold": "doesnot", "inconclusive": "inconclusive"][row[2]] ?? "?"
                #expect(
                    html.contains("<tr><td>\(row[0])</td><td>\(row[1])</td><td class=\"\(css)\">\(row[2])</td>")
                        && html.contains("<td>\(row[3])</td><td>\(row[4])</td></tr>"),
                    "scorecard row: \(row[0])")
            }
            let target = try #require((results["targets"] as? [[String: Any]])?.first)
            let distances = try #require(target["distances"] as? [[String: Any]])
            #expect(
                !distances.isEmpty && !((target["interpolation"] as? [[String: Any]])?.isEmpty ?? true),
                "the samples below would check nothing")
            for pair in distances {
                let value = try #require(pair["value"] as? [String: Any])
                let (total, norm) = (
                    try #require(value["total"] as? Double), try #require(value["referenceNorm"] as? Double)
                )
                #expect(
                    html.contains(
                        "<td>\(String(format: "%.3f", total))</td><td>\(String(format: "%.3f", total / norm))</td></tr>"
                    ), "distance \(pair["kind"] ?? "")")
            }
            for pair in try #require(target["interpolation"] as? [[String: Any]]) {
                let barrier = try #require((pair["value"] as? [String: Any])?["testLossBarrier"] as? [String: Any])
                #expect(html.contains("<td>\(String(format: "%.4f", try #require(barrier["height"] as? Double)))</td>"))
            }
            let mistakes = try #require((target["mistakes"] as? [String: Any])?["pairs"] as? [[String: Any]])
            #expect(!mistakes.isEmpty)
            for pair in mistakes {
                let table = try #require(pair["value"] as? [String: Any])
                let cells = try ["bothRight", "onlyARight", "onlyBRight", "bothWrong", "sameWrongLabel"].map {
                    try #require(table[$0] as? Int)
                }
                #expect(html.contains(cells.map { "<td>\($0)</td>" }.joined()), "mistakes \(pair["kind"] ?? "")")
            }
            let sourceAccuracy = try #require(results["sourceFinalAccuracy"] as? Double)
            #expect(html.contains("final test accuracy \(String(format: "%.1f%%", 100 * sourceAccuracy))"))

            // Self-contained: no network, every image inline.
            #expect(!html.contains("https://"))
            #expect(
                html.components(separatedBy: "http://").count
                    == html.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count)
            let sources = html.components(separatedBy: "src=").dropFirst()
            #expect(!sources.isEmpty && sources.allSatisfy { $0.hasPrefix("\"data:image/png;base64,") })
            #expect(!html.contains("href=") && !html.contains("url("))
        }
    }
}
