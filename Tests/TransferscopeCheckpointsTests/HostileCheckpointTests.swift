import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeIO
import TransferscopeNN

/// Regression tests for checkpoints whose metadata or tensors used to be trusted (issue 15).
@Suite("Hostile checkpoints are errors naming the file and the problem")
struct HostileCheckpointTests {
    /// A valid tiny checkpoint's parsed contents.
    static func valid() -> SafeTensors {
        let model = CheckpointTests.tiny(seed: 1)
        var metadata = ["format": "pt"]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        metadata[Checkpoint.architectureKey] = String(decoding: try! encoder.encode(model.configuration), as: UTF8.self)
        return SafeTensors(entries: StateDict.entries(of: model.namedState), metadata: metadata)
    }

    func message(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch { return error.localizedDescription }
    }

    @Test(
        "Recorded architectures are validated before a model is built",
        arguments: [
            (#""widths":[4,8,8]"#, #""widths":[-4,8,8]"#, "a width is -4"),
            (#""classes":3"#, #""classes":-3"#, "-3 classes"),
            (#""classes":3"#, #""classes":1099511627776"#, "1099511627776 classes"),
            (
                #""blocksPerStage":[1,1,1]"#, #""blocksPerStage":[4611686018427387904,1,1]"#,
                "4611686018427387904 blocks"
            ),
            (#""blocksPerStage":[1,1,1]"#, #""blocksPerStage":[0,1,1]"#, "0 blocks"),
            (#""widths":[4,8,8]"#, #""widths":[4,8,1000000000]"#, "a width is 1000000000"),
            (#""widths":[4,8,8]"#, #""widths":[4,8]"#, "2 stage widths"),
            (#""widths":[4,8,8]"#, #""widths":[8192,8192,8192]"#, "parameters"),
            (#""inputChannels":1"#, #""inputChannels":17"#, "17 input channels"),
            (#""stemWidth":4"#, #""stemWidth":0"#, "a width is 0"),
        ])
    func architecture(_ change: (String, String, String)) throws {
        var file = Self.valid()
        let text = file.metadata[Checkpoint.architectureKey]!
        #expect(text.contains(change.0), "the fixture changed: \(text)")
        file.metadata[Checkpoint.architectureKey] = text.replacingOccurrences(of: change.0, with: change.1)
        let error = message { try Checkpoint.architecture(of: file, path: "bad.safetensors") }
        #expect(
            error?.contains("bad.safetensors") == true && error?.contains(change.2) == true,
            "\(change.1): \(error ?? "accepted")")
    }

    @Test(
        "NaN and infinite weights, and negative variances, are errors naming the tensor",
        arguments: [
            ("conv1.weight", Float.nan, "NaN or infinite"), ("fc.bias", Float.infinity, "NaN or infinite"),
            ("layer1.0.bn1.running_var", Float(-1), "negative variance"),
            ("bn1.running_mean", -Float.infinity, "NaN or infinite"),
        ])
    func nonFiniteWeights(_ change: (String, Float, String)) throws {
        var file = Self.valid()
        guard case .float32(let shape, let values)? = file.entries[change.0] else {
            Issue.record("no \(change.0)")
            return
        }
        var changed = values
        changed[changed.count - 1] = change.1  // the last value: a check of the first alone would miss it
        file.entries[change.0] = .float32(shape: shape, values: changed)
        let model = CheckpointTests.tiny(seed: 2)
        let before = model.conv1.weight.value
        let error = message { try StateDict.load(file, into: model.namedState, path: "nan.safetensors") }
        #expect(
            error?.contains("nan.safetensors: \(change.0)") == true && error?.contains(change.2) == true,
            "\(error ?? "accepted")")
        #expect(model.conv1.weight.value == before, "a refused load changed the model")
    }

    @Test(
        "Shape products that overflow, fractional shapes and offsets are refused",
        arguments: [
            #"{"t":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}}"#,
            #"{"t":{"dtype":"F32","shape":[2305843009213693952],"data_offsets":[0,0]}}"#,
            #"{"t":{"dtype":"F32","shape":[10.5],"data_offsets":[0,40]}}"#,
            #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}}"#,
            #"{"t":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#,
        ])
    func structure(_ header: String) {
        var padded = Array(header.utf8)
        while padded.count % 8 != 0 { padded.append(0x20) }
        let length = padded.count
        let bytes = (0..<8).map { UInt8((length >> (8 * $0)) & 0xff) } + padded + [UInt8](repeating: 0, count: 40)
        let error = message { try SafeTensors(bytes: bytes, path: "odd.safetensors") }
        #expect(
            error?.contains("odd.safetensors") == true && error?.contains("tensor t") == true,
            "\(header): \(error ?? "accepted")")
        #expect(error?.contains("fully written") != true, "a header problem is not a truncation: \(error ?? "")")
    }

    @Test("A checkpoint without Transferscope metadata says so instead of pointing to an option that does not exist")
    func foreignCheckpoint() {
        var file = Self.valid()
        file.metadata = [:]
        let error = message { try Checkpoint.architecture(of: file, path: "torch.safetensors") }
        #expect(error?.contains("not a checkpoint written by Transferscope") == true, "\(error ?? "accepted")")
        #expect(error?.contains("explicitly") != true)
    }
}
