import Foundation
import TransferscopeCheckpoints
import TransferscopeCore
import TransferscopeData
import TransferscopeIO
import TransferscopeNN
import TransferscopeStudy
import TransferscopeTraining

/// The readers a fuzzer feeds: each takes the bytes of one file and goes as far as the tool
/// would with it (parse, validate, build what the file describes). A thrown error is the
/// expected outcome for bad input; a trap, a hang or a huge allocation is a bug.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A checkpoint: the safetensors container, the recorded architecture and input, and the
    /// weights loaded into a model (shapes, NaN), plus the same file read as a dataset cache.
    case safetensors
    /// An IDX array, as images (with labels made up) and as labels (with images made up).
    case idx
    /// A `.npy` array, as images and as labels.
    case npy
    /// A CSV of pixels and labels.
    case csv
    /// A NumPy pickle, read without unpickling.
    case pickle
    /// A study file (YAML) and its plan.
    case study
    /// A PyTorch state dict (torch.save's zip), read without unpickling, loaded into a model.
    case pth

    /// A small model the fuzzed weights are loaded into (a few hundred parameters, so it is built per input).
    static func smallModel() -> ResNet {
        guard let configuration = ResNetConfiguration.named("resnet8", inputChannels: 1, classes: 2, widths: [2, 2, 2])
        else { preconditionFailure("FuzzTarget: resnet8 with 3 widths is no longer a named configuration") }
        var generator = RandomGenerator(seed: 0)
        return ResNet(configuration, generator: &generator)
    }

    /// Runs the target on `bytes`; returns whether the input was accepted (for statistics only).
    @discardableResult
    public func run(_ bytes: [UInt8]) -> Bool {
        let path = "fuzz-input"
        do {
            switch self {
            case .safetensors:
                let file = try SafeTensors(bytes: bytes, path: path)
                var accepted = false
                if let architecture = try? Checkpoint.architecture(of: file, path: path) {
                    accepted = architecture.parameterCount > 0
                }
                if let preprocessing = try? ModelInput.preprocessing(of: file, path: path) {
                    accepted = preprocessing.side > 0 || accepted
                }
                if (try? StateDict.load(file, into: Self.smallModel().namedState, path: path, strict: false)) != nil {
                    accepted = true
                }
                if let dataset = try? DatasetCache.dataset(in: file, path: path) {
                    accepted = dataset.count > 0 || accepted
                }
                return accepted
            case .idx:
                let array = try IDXReader.parse(bytes, path: path)
                return Self.asImagesAndLabels(array.shape, values: array.values) { images, labels in
                    try IDXReader.dataset(
                        images: images, labels: labels, imagesPath: path, labelsPath: path, name: "fuzz")
                }
            case .npy:
                return Self.asDataset(try NPYReader.parse(bytes, path: path))
            case .csv:
                _ = try CSVReader.parse(bytes, path: path, name: "fuzz")
            case .pickle:
                return Self.asDataset(try PickledArrayReader.parse(bytes, path: path))
            case .study:
                let study = try StudyFile.parse(String(decoding: bytes, as: UTF8.self), path: path)
                // Digests stand in for the data: a fuzzed path is never walked.
                let digests = Dictionary(uniqueKeysWithValues: study.dataSpecifications.map { ($0, "fuzz") })
                return !(try StudyPlan(study, version: "fuzz", dataDigests: digests)).nodes.isEmpty
            case .pth:
                let entries = try PyTorchFile.readStateDict(bytes: bytes, path: path)
                let file = SafeTensors(entries: entries)
                _ = try? StateDict.load(file, into: Self.smallModel().namedState, path: path, strict: false)
                return !entries.isEmpty
            }
            return true
        } catch {
            return false
        }
    }

    /// `array` as images or as labels (see `asImagesAndLabels`), through the NPY reader's checks.
    static func asDataset(_ array: RawArray) -> Bool {
        asImagesAndLabels(array.shape, values: array.data) { images, labels in
            let path = "fuzz-input"
            if images.shape == array.shape {
                let made = RawArray(dtype: "u1", shape: labels.shape, data: labels.values)
                return try NPYReader.dataset(
                    images: array, labels: made, imagesPath: path, labelsPath: path, name: "fuzz")
            }
            let made = RawArray(dtype: "u1", shape: images.shape, data: images.values)
            return try NPYReader.dataset(images: made, labels: array, imagesPath: path, labelsPath: path, name: "fuzz")
        }
    }

    /// Builds a dataset from `shape`: as images with made-up labels (0, 1, 0, ...) when it has 3
    /// or 4 dimensions, as labels of made-up 2x2 images when it has 1. The made-up arrays are
    /// only built when the shape's count is small, as a reader would check.
    static func asImagesAndLabels(
        _ shape: [Int], values: [UInt8],
        _ build: (_ images: (shape: [Int], values: [UInt8]), _ labels: (shape: [Int], values: [UInt8])) throws ->
            ImageDataset
    ) -> Bool {
        guard let count = shape.first, count <= 1 << 16 else { return false }
        if shape.count == 1 {
            let images = (shape: [count, 2, 2], values: [UInt8](repeating: 0, count: count * 4))
            return (try? build(images, (shape, values))) != nil
        }
        let labels = (shape: [count], values: (0..<count).map { UInt8($0 % 2) })
        return (try? build((shape, values), labels)) != nil
    }
}
