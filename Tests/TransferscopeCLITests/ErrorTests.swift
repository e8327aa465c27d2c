import ArgumentParser
import Foundation
import Testing

@testable import transferscope

extension CLITests {
    @Suite("errors")
    struct Errors {
        /// The error `arguments` throw, parsing or running, or a failed test.
        static func error(_ arguments: [String]) throws -> any Error {
            do { try CLI.run(arguments) } catch { return error }
            Issue.record("\(arguments) did not fail")
            throw CancellationError()
        }

        @Test(
            "a bad flag is a validation error from parsing (exit code 64), naming the flag",
            arguments: [
                (["train", "--data", "procedural", "--out", "/nonexistent/x", "--epochs", "0"], "--epochs"),
                (["eval", "x.safetensors", "--data", "procedural", "--split", "validation"], "--split"),
                (
                    ["analyze", "basin", "x.safetensors", "--data", "procedural", "--steps", "4", "--out", "/tmp/x"],
                    "--steps"
                ),
                (
                    ["analyze", "interpolate", "x.safetensors", "--data", "procedural", "--out", "/tmp/x"],
                    "at least two checkpoints"
                ),
                (["model", "init", "resnet8", "--widths", "4,8", "--out", "/tmp/x.safetensors"], "--widths"),
                (
                    ["study", "status", "s.yaml", "--out", "/tmp/x", "--ranks", "4,0"],
                    "--ranks must be integers in 1..."
                ),
                (["study", "status", "s.yaml", "--out", "/tmp/x", "--ranks", "2", "--no-estimate"], "--no-estimate"),
            ])
        func flagErrors(arguments: [String], flag: String) throws {
            let error = try Self.error(arguments)
            #expect(
                Transferscope.exitCode(for: error) == .validationFailure
                    && Transferscope.exitCode(for: error).rawValue == 64)
            #expect(Transferscope.message(for: error).contains(flag), "\(Transferscope.message(for: error))")
            // Parsing alone refuses it: nothing ran.
            #expect(throws: (any Error).self) { _ = try Transferscope.parseAsRoot(arguments) }
        }

        @Test(
            "a problem found while running (a missing checkpoint) is a failure, not a usage error, and names the file")
        func missingCheckpoint() throws {
            let missing = NSTemporaryDirectory() + "transferscope-no-such-" + UUID().uuidString + ".safetensors"
            for arguments in [
                ["eval", missing, "--data", "procedural:train=20,test=10,side=8"], ["model", "inspect", missing],
                [
                    "analyze", "distance", missing, missing, "--out",
                    NSTemporaryDirectory() + "unused-" + UUID().uuidString,
                ],
            ] {
                #expect(throws: Never.self) { _ = try Transferscope.parseAsRoot(arguments) }
                let error = try Self.error(arguments)
                #expect(
                    !(error is ValidationError) && Transferscope.exitCode(for: error) == .failure, "\(arguments[0])")
                #expect(Transferscope.message(for: error).contains(missing), "\(Transferscope.message(for: error))")
                #expect(!Transferscope.fullMessage(for: error).contains("Usage:"), "no usage text for a run-time error")
            }
        }

        @Test("a refused train leaves nothing in its directory")
        func refusedTrain() throws {
            let out = NSTemporaryDirectory() + "transferscope-refused-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: out) }
            let error = try Self.error([
                "train", "--data", "procedural:train=20,test=10,side=8", "--model", "resnet8", "--widths", "4,8,8",
                "--init", out + "-missing.safetensors", "--epochs", "1", "--out", out,
            ])
            #expect(Transferscope.message(for: error).contains(out + "-missing.safetensors"))
            #expect((try? FileManager.default.contentsOfDirectory(atPath: out))?.isEmpty ?? true)
        }
    }
}
