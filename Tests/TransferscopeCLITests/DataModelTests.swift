import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeIO
import TransferscopeNN

/// The width and height in the IHDR chunk of a PNG, after checking the signature.
func pngSize(_ path: String) throws -> (width: Int, height: Int) {
    let bytes = [UInt8](try #require(FileManager.default.contents(atPath: path), "no file \(path)"))
    try #require(
        bytes.count > 24 && Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
        "\(path) is not a PNG")
    #expect(Array(bytes[12..<16]) == Array("IHDR".utf8))
    func bigEndian(_ offset: Int) -> Int { bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return (bigEndian(16), bigEndian(20))
}

extension CLITests {
    @Suite("data and model")
    struct DataAndModel {
        @Test("data show: a PNG with one row per class of perClass images, each side x zoom pixels plus a 4-pixel gap")
        func dataShow() throws {
            let out = try temporaryDirectory("show")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let data = "procedural:train=40,test=20,side=12,classes=4"
            try CLI.run(["data", "show", "--data", data, "--per-class", "2", "--zoom", "3", "--out", out + "/two.png"])
            try CLI.run(["data", "show", "--data", data, "--per-class", "5", "--zoom", "3", "--out", out + "/five.png"])
            try CLI.run([
                "data", "show", "--data", data, "--split", "test", "--per-class", "5", "--zoom", "1", "--out",
                out + "/small.png",
            ])
            let (two, five, small) = (
                try pngSize(out + "/two.png"), try pngSize(out + "/five.png"), try pngSize(out + "/small.png")
            )
            let cell = 12 * 3
            let gap = 4
            #expect(two.height == 4 * (cell + gap) + gap && five.height == two.height)
            #expect(five.width - two.width == 3 * (cell + gap), "three more images per row")
            #expect(small.height == 4 * (12 + gap) + gap)
        }

        @Test("data list: every built-in dataset and the procedural one")
        func dataList() throws {
            let text = try CLI.output(["data", "list"])
            let names = text.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map {
                String($0.split(separator: " ")[0])
            }
            // Other suites run alongside and may print too: the catalogue's lines, in order, are what counts.
            let expected = [
                "fashion-mnist", "mnist-5k", "animal-silhouettes", "clipart", "sketch-digits", "procedural",
            ]
            #expect(names.filter { expected.contains($0) } == expected, "\(names)")
        }

        @Test("model init writes the seeded initialization; inspect reports it; forward gives the library's logits")
        func modelInitInspectForward() throws {
            let out = try temporaryDirectory("model")
            defer { try? FileManager.default.removeItem(atPath: out) }
            let checkpoint = out + "/m.safetensors"
            try CLI.run([
                "model", "init", "resnet8", "--widths", "4,8,8", "--classes", "3", "--input-channels", "1", "--seed",
                "7", "--out", checkpoint,
            ])
            let configuration = try #require(
                ResNetConfiguration.named("resnet8", inputChannels: 1, classes: 3, widths: [4, 8, 8]))
            var generator = RandomGenerator(seed: 7)
            let expected = ResNet(configuration, generator: &generator)
            let loaded = try Checkpoint.loadModel(from: checkpoint)
            #expect(loaded.configuration == configuration)
            for (a, b) in zip(loaded.namedState.parameters, expected.namedState.parameters) {
                #expect(a.parameter.value.scalars == b.parameter.value.scalars, "\(a.name)")
            }

            let text = try CLI.output(["model", "inspect", checkpoint])
            #expect(
                text.contains("resnet8") && text.contains("widths [4, 8, 8]")
                    && text.contains("1 input channels, 3 classes, \(expected.parameterCount) parameters"))
            let modules = text.split(separator: "\n").filter { $0.hasPrefix("  ") && $0.hasSuffix(" parameters") }
            #expect(
                modules.map { String($0.split(separator: " ")[0]) } == [
                    "stem", "layer1.0", "layer2.0", "layer3.0", "fc",
                ])
            #expect(
                modules.compactMap { Int($0.split(separator: " ").dropLast().last ?? "") }.reduce(0, +)
                    == expected.parameterCount)
            #expect(text.contains("metadata transferscope.seed = 7"))

            // A batch of 3 seeded images in PyTorch's layout [N, C, H, W].
            var noise = RandomGenerator(seed: 11)
            let values = (0..<(3 * 8 * 8)).map { _ in Float(noise.nextNormal()) }
            try SafeTensors(entries: ["input": .float32(shape: [3, 1, 8, 8], values: values)]).write(
                to: out + "/x.safetensors")
            try CLI.run([
                "model", "forward", checkpoint, "--input", out + "/x.safetensors", "--out", out + "/logits.safetensors",
            ])
            let (shape, logits) = try #require(
                try SafeTensors(contentsOf: out + "/logits.safetensors").floats("logits"))
            let reference = try Checkpoint.loadModel(from: checkpoint).inference(
                Tensor(shape: [3, 1, 8, 8], scalars: values).nchwToNHWC())
            #expect(shape == [3, 3] && reference.shape == [3, 3])
            #expect(logits == reference.scalars)
        }
    }
}
