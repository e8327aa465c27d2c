import Foundation
import TransferscopeCore
import TransferscopeIO

/// The version of Transferscope recorded in every run.
public enum TransferscopeVersion {
    /// This build's version, as semantic-version text ("major.minor.patch").
    public static let current = "0.4.0"
}

/// Facts about the machine a run used, so that a result can be traced.
public struct MachineDescription: Codable, Sendable, Equatable {
    /// The host's network name.
    public var hostname: String
    /// The CPU model name, as the operating system reports it.
    public var processor: String
    /// Logical processors active (ProcessInfo's `activeProcessorCount`).
    public var cores: Int
    /// Physical memory in GiB, rounded to 0.1.
    public var memoryGiB: Double
    /// The operating system's version text.
    public var operatingSystem: String
    /// Whether the processor supports AVX-512.
    public var avx512: Bool
    /// Worker threads in use (`Parallel.workerCount`) when the description was taken.
    public var threads: Int
    /// The BLAS kernels and convolution kernels in use (absent in runs recorded by earlier versions).
    public var compute: ComputePath?

    /// This machine, with the worker threads in use.
    public static func current() -> MachineDescription {
        let info = ProcessInfo.processInfo
        return MachineDescription(
            hostname: info.hostName, processor: CPUFeatures.modelName, cores: info.activeProcessorCount,
            memoryGiB: (Double(info.physicalMemory) / 1_073_741_824 * 10).rounded() / 10,
            operatingSystem: info.operatingSystemVersionString, avx512: CPUFeatures.hasAVX512,
            threads: Parallel.workerCount,
            compute: .current)
    }
}

/// `run.json`: how and where a run was made, and each time it was started or resumed.
public struct RunRecord: Codable, Sendable {
    /// The Transferscope version that first started the run.
    public var version: String
    /// The path of the executable that first started the run (argv[0]).
    public var executable: String
    /// The full command line of the first start, argv[0] included.
    public var commandLine: [String]
    /// The run's seed (`TrainingConfiguration.seed`).
    public var seed: UInt64
    /// The machine of the first start.
    public var machine: MachineDescription
    /// ISO 8601 times the run was started, then resumed.
    public var starts: [String]
    /// The epoch each start began from.
    public var startEpochs: [Int]
}

/// The end result of a run (`summary.json`); its presence marks the run complete.
public struct TrainingSummary: Codable, Sendable, Equatable {
    /// Epochs of the run (the configuration's `epochs`).
    public var epochs: Int
    /// SGD steps taken in total, over all epochs.
    public var steps: Int
    /// Test accuracy after the last epoch, in [0, 1].
    public var finalTestAccuracy: Double
    /// Mean test cross-entropy after the last epoch.
    public var finalTestLoss: Double
    /// Accuracy on the fixed training subset after the last epoch, in [0, 1]; nil when none is evaluated.
    public var finalTrainAccuracy: Double?
    /// The highest test accuracy after any epoch, in [0, 1].
    public var bestTestAccuracy: Double
    /// Training images used (after few-shot selection or subsampling).
    public var trainImages: Int
    /// Test images evaluated after each epoch.
    public var testImages: Int
    /// Seconds of training across all starts (evaluation included).
    public var seconds: Double
    /// The final model's file, relative to the run directory (`final.safetensors`).
    public var finalCheckpoint: String
    /// The kept checkpoints, relative to the run directory (`checkpoints/epoch-NNNN.safetensors`).
    public var checkpoints: [String]
}
