import ArgumentParser
import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeIO
import TransferscopeTraining

@testable import transferscope

extension CLITests {
    @Suite("model import: PyTorch state dicts from torchvision's classes")
    struct ModelImportTests {
        /// The checkpoint tests' fixtures (`generate_pytorch_fixtures.py`).
        static let fixtures =
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TransferscopeCheckpointsTests/Fixtures").path

        /// Imports `file`, runs the checkpoint on the fixture's inputs with `model forward`, and
        /// returns the largest error against PyTorch's logits relative to their largest magnitude.
        static func importedError(_ file: String, model: String, in directory: String) throws -> Float {
            let expected = try SafeTensors(contentsOf: "\(fixtures)/\(model).expected.safetensors")
            let (shape, _) = try #require(expected.floats("input"))
            let (_, logits) = try #require(expected.floats("logits"))
            let checkpoint = "\(directory)/\(model)-\((file as NSString).pathExtension).safetensors"
            let printed = try CLI.output([
                "model", "import", file, "--size", String(shape[2]), "--normalization", "none", "--out", checkpoint,
            ])
            #expect(printed.contains("wrote \(checkpoint)"))
            try CLI.run([
                "model", "forward", checkpoint, "--input", "\(fixtures)/\(model).expected.safetensors", "--out",
                "\(directory)/logits.safetensors",
            ])
            let (_, ours) = try #require(
                try SafeTensors(contentsOf: "\(directory)/logits.safetensors").floats("logits"))
            let scale = logits.map(abs).max() ?? 1
            return zip(ours, logits).map { abs($0 - $1) }.max().map { $0 / scale } ?? .infinity
        }

        @Test(
            "A .pth and a plain safetensors of torchvision's classes import to PyTorch's logits within 1e-5",
            arguments: ["resnet10-w8", "resnet50-w4", "resnet8"])
        func sameLogits(_ model: String) throws {
            let directory = try temporaryDirectory("import")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            for file in ["\(Self.fixtures)/\(model).pth", "\(Self.fixtures)/\(model).safetensors"] {
                let error = try Self.importedError(file, model: model, in: directory)
                #expect(error < 1e-5, "\(file): \(error)")
            }
            // The architecture recorded is the one the fixture was built with.
            let expected = try SafeTensors(contentsOf: "\(Self.fixtures)/\(model).expected.safetensors")
            let recorded = try Checkpoint.architecture(at: "\(directory)/\(model)-pth.safetensors")
            #expect(recorded.widths.description == expected.metadata["widths"])
            #expect(recorded.blocksPerStage.description == expected.metadata["layers"])
            #expect(recorded.stem.rawValue == expected.metadata["stem"])
        }

        @Test("The input is recorded: side, channels and torchvision's normalization; `module.` keys import")
        func recordedInput() throws {
            let directory = try temporaryDirectory("import-input")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let out = directory + "/r10.safetensors"
            try CLI.run([
                "model", "import", "\(Self.fixtures)/resnet10-w8.pth", "--size", "224", "--normalization", "imagenet",
                "--out", out,
            ])
            let preprocessing = try ModelInput.preprocessing(ofCheckpoint: out)
            #expect(preprocessing.side == 224 && preprocessing.channels == 3)
            #expect(preprocessing.normalization == ModelImport.imagenetNormalization)
            let prefixed = try CLI.output([
                "model", "import", "\(Self.fixtures)/resnet8-module-prefix.pth", "--size", "16", "--normalization",
                "none", "--out", directory + "/dp.safetensors",
            ])
            #expect(prefixed.contains("`module.` prefix was removed"))
            #expect(try ModelInput.preprocessing(ofCheckpoint: directory + "/dp.safetensors").channels == 1)
        }

        @Test(
            """
            A truncated zip, a pickle with a foreign global, a missing key, the legacy format and a wrong --model each \
            stop with a message naming the file, and write nothing
            """
        )
        func refusals() throws {
            let directory = try temporaryDirectory("import-bad")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let whole = try Data(contentsOf: URL(fileURLWithPath: "\(Self.fixtures)/resnet8.pth"))
            let truncated = directory + "/truncated.pth"
            try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncated))
            let cases: [(file: String, extra: [String], says: String)] = [
                (truncated, [], "truncated.pth"),
                ("\(Self.fixtures)/hostile-os-system.pth", [], "os.system"),
                ("\(Self.fixtures)/resnet8-missing-key.pth", [], "layer2.0.bn1.running_var"),
                ("\(Self.fixtures)/resnet8-legacy.pth", [], "torch.save"),
                ("\(Self.fixtures)/resnet8.pth", ["--model", "resnet20"], "blocks per stage"),
            ]
            for (file, extra, says) in cases {
                let out = directory + "/out.safetensors"
                do {
                    try CLI.run(
                        ["model", "import", file, "--size", "16", "--normalization", "none", "--out", out] + extra)
                    Issue.record("\(file) imported")
                } catch {
                    let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                    #expect(message.contains(says), "\(file): \(message)")
                    #expect(message.contains((file as NSString).lastPathComponent), "\(file): \(message)")
                }
                #expect(!FileManager.default.fileExists(atPath: out), "\(file) left a file")
            }
            let bad = #expect(throws: ValidationError.self) {
                try CLI.run([
                    "model", "import", "\(Self.fixtures)/resnet8.pth", "--size", "16", "--normalization", "0.5:0.5,0.5",
                    "--out", directory + "/x.safetensors",
                ])
            }
            #expect(bad?.message.contains("as many means as deviations") == true)
        }
    }
}
