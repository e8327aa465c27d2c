/// Which kernels this process computes with: the BLAS and its kernel set, and the engine's own
/// SIMD convolution kernels. Printed by `transferscope doctor` and `--version`, recorded in
/// every run's `run.json`, so that a result (and a speed) can be traced to the code that ran.
public struct ComputePath: Codable, Sendable, Equatable {
    /// The BLAS library and version, e.g. "OpenBLAS 0.3.21".
    public var blas: String
    /// The BLAS kernel set in use, e.g. "SkylakeX".
    public var blasCoreType: String
    /// Why that kernel set: chosen from the processor's features, set by the user, or the library's guess.
    public var blasCoreTypeSource: String
    /// The engine's direct-convolution kernels: "AVX-512", "AVX2+FMA", "portable" or "im2col + sgemm".
    public var convolutionKernels: String
    /// The SIMD feature families the processor reports.
    public var processorFeatures: [String]

    /// This process's path (loads OpenBLAS if it is not loaded yet).
    public static var current: ComputePath {
        let library = try? OpenBLASLibrary.loaded.get()
        var features: [String] = []
        if CPUFeatures.hasAVX512Family { features.append("AVX-512") }
        if CPUFeatures.hasAVX2 { features.append("AVX2+FMA") }
        return ComputePath(
            blas: library.map { $0.configuration.split(separator: " ").prefix(2).joined(separator: " ") }
                ?? "not loaded",
            blasCoreType: library?.coreType ?? "none",
            blasCoreTypeSource: library?.coreTypeSource.rawValue ?? "",
            convolutionKernels: !ConvolutionKernels.current.direct
                ? "im2col + sgemm"
                : ConvolutionKernels.current.avx512 ? "AVX-512" : (CPUFeatures.hasAVX2 ? "AVX2+FMA" : "portable"),
            processorFeatures: features)
    }

    /// One line, e.g. "OpenBLAS 0.3.21 SkylakeX kernels (chosen from the processor's features), AVX-512 convolutions".
    public var summary: String {
        "\(blas) \(blasCoreType) kernels (\(blasCoreTypeSource)), \(convolutionKernels) convolutions"
    }
}
