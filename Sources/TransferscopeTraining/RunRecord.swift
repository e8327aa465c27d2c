import Foundation
import TransferscopeCore
import TransferscopeIO

/// The version of Transferscope recorded in every run.
public enum TransferscopeVersion {
    public static let current = "0.4.0"
}

/// Facts about the machine a run used, so that a result can be traced.
public struct MachineDescription: Codable, Sendable, Equatable {
    public var hostname: String
    public var processor: String
    public var cores: Int
    public var memoryGiB: Double
    public var operatingSystem: String
    public var avx512: Bool
    public var threads: Int
    /// The BLAS kernels and convolution kernels in use (absent in runs recorded by earlier versions).
    public var compute: ComputePath?

    /// This machine, with the worker threads in use.
    public static func current() -> MachineDescription {
        let info = ProcessInfo.processInfo
        return MachineDescription(
            hostname: info.hostName, processor: CPUFeatures.modelName, cores: info.activeProcessorCount,
            memoryGiB: (Double(info.physicalMemory) / 1_073_741_824 * 10).rounded() / 10,
            operatingSystem: info.operatingSystemVersionString, avx512: CPUFeatures.hasAVX512, threads: Parallel.workerCount,
            compute: .current)
    }
}

/// `run.json`: how and where a run was made, and each time it was started or resumed.
public struct RunRecord: Codable, Sendable {
    public var version: String
    public var executable: String
    public var commandLine: [String]
    public var seed: UInt64
    public var machine: MachineDescription
    /// ISO 8601 times the run was started, then resumed.
    public var starts: [String]
    /// The epoch each start began from.
    public var startEpochs: [Int]
}

/// The end result of a run (`summary.json`); its presence marks the run complete.
public struct TrainingSummary: Codable, Sendable, Equatable {
    public var epochs: Int
    public var steps: Int
    public var finalTestAccuracy: Double
    public var finalTestLoss: Double
    public var finalTrainAccuracy: Double?
    public var bestTestAccuracy: Double
    public var trainImages: Int
    public var testImages: Int
    /// Seconds of training across all starts (evaluation included).
    public var seconds: Double
    public var finalCheckpoint: String
    public var checkpoints: [String]
}
