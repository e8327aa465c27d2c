// swift-tools-version: 6.0
import PackageDescription

// Swift emits FMA/AVX2 SIMD code only when clang is told the target has them; without
// `-mfma`, `SIMD.addProduct` lowers to a scalar libm call (~100x slower).
#if arch(x86_64)
let simdFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"])]
// Only the TransferscopeAVX512 target is compiled for AVX-512; its kernels run only where the
// processor reports avx512f (CPUFeatures.hasAVX512), so the package still runs on AVX2 machines.
let avx512Flags: [SwiftSetting] = [.unsafeFlags([
    "-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mavx512f", "-Xcc", "-mavx512vl", "-enforce-exclusivity=unchecked",
])]
#else
let simdFlags: [SwiftSetting] = []
let avx512Flags: [SwiftSetting] = []
#endif
let fastMath: [SwiftSetting] = simdFlags + [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

let package = Package(
    name: "Transferscope",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "TransferscopeCore", targets: ["TransferscopeCore"]),
        .library(name: "TransferscopeNN", targets: ["TransferscopeNN"]),
        .library(name: "TransferscopeOptimizers", targets: ["TransferscopeOptimizers"]),
        .library(name: "TransferscopeCheckpoints", targets: ["TransferscopeCheckpoints"]),
        .library(name: "TransferscopeData", targets: ["TransferscopeData"]),
        .library(name: "TransferscopeTraining", targets: ["TransferscopeTraining"]),
        .library(name: "TransferscopeAnalysis", targets: ["TransferscopeAnalysis"]),
        .library(name: "TransferscopeStudy", targets: ["TransferscopeStudy"]),
        .executable(name: "transferscope", targets: ["transferscope"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C libraries, only behind system-library targets. OpenBLAS is not linked: Core loads it at
        // run time, after choosing its kernels from the processor's features (OpenBLASLibrary).
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CLibJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // PNG/JPEG decoding and gzip with every library error returned, never a process exit.
        .target(
            name: "CImageCodecs", dependencies: ["CLibPNG", "CLibJPEG", "CZlib"],
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg"), .linkedLibrary("z")]),

        // Micro-kernels built for AVX-512, called by Core only where the processor has it.
        .target(name: "TransferscopeAVX512", swiftSettings: avx512Flags),
        // Tensors, BLAS, threading, randomness: the engine's core.
        .target(name: "TransferscopeCore", dependencies: ["TransferscopeAVX512"], swiftSettings: fastMath),
        // Layers, models, initialization. Imports Core.
        .target(name: "TransferscopeNN", dependencies: ["TransferscopeCore"], swiftSettings: fastMath),
        // SGD and learning-rate schedules. Imports Core and NN.
        .target(
            name: "TransferscopeOptimizers", dependencies: ["TransferscopeCore", "TransferscopeNN"],
            swiftSettings: fastMath),
        // safetensors I/O and PyTorch state dicts. Imports Core, NN and Optimizers.
        .target(
            name: "TransferscopeCheckpoints",
            dependencies: ["TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers"],
            swiftSettings: fastMath),
        // Dataset readers, the built-in catalogue, transforms and batching. Imports Core and Checkpoints.
        .target(
            name: "TransferscopeData",
            dependencies: ["TransferscopeCore", "TransferscopeCheckpoints", "CImageCodecs"],
            swiftSettings: fastMath),
        // The resumable trainer and evaluator. Imports everything above.
        .target(
            name: "TransferscopeTraining",
            dependencies: [
                "TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers", "TransferscopeCheckpoints",
                "TransferscopeData",
            ],
            swiftSettings: fastMath),
        // The paper's analyses (CKA, distances, mistakes, interpolation, criticality, ...).
        .target(
            name: "TransferscopeAnalysis",
            dependencies: [
                "TransferscopeCore", "TransferscopeNN", "TransferscopeCheckpoints", "TransferscopeData",
                "TransferscopeTraining",
            ],
            swiftSettings: fastMath),
        // Studies: the study file, the plan and its cache keys. Imports everything above.
        .target(
            name: "TransferscopeStudy",
            dependencies: [
                "TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers", "TransferscopeCheckpoints", "TransferscopeData",
                "TransferscopeTraining", "TransferscopeAnalysis", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: fastMath),

        .executableTarget(
            name: "transferscope",
            dependencies: [
                "TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers",
                "TransferscopeCheckpoints", "TransferscopeData", "TransferscopeTraining",
                "TransferscopeAnalysis", "TransferscopeStudy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: simdFlags),
        // Fuzz targets for the file readers and a seeded mutation engine (tests, transferscope-fuzz).
        .target(
            name: "TransferscopeFuzzing",
            dependencies: [
                "TransferscopeCore", "TransferscopeNN", "TransferscopeCheckpoints", "TransferscopeData", "TransferscopeTraining",
                "TransferscopeStudy",
            ],
            swiftSettings: simdFlags),
        // `transferscope-fuzz TARGET CORPUS...`: the mutation engine over a corpus; built with
        // `swift build --sanitize fuzzer -Xswiftc -DLIBFUZZER` it is a libFuzzer binary instead (scripts/fuzz.sh).
        .executableTarget(
            name: "transferscope-fuzz",
            dependencies: ["TransferscopeFuzzing"],
            path: "Fuzz",
            swiftSettings: simdFlags),
        .executableTarget(
            name: "TransferscopeBenchmarks",
            dependencies: ["TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers"],
            path: "Benchmarks/TransferscopeBenchmarks",
            swiftSettings: simdFlags),

        .executableTarget(
            name: "AnalysisBenchmarks",
            dependencies: ["TransferscopeCore", "TransferscopeNN", "TransferscopeData", "TransferscopeAnalysis"],
            path: "Benchmarks/AnalysisBenchmarks",
            swiftSettings: simdFlags),

        .testTarget(
            name: "TransferscopeCoreTests", dependencies: ["TransferscopeCore"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeNNTests",
            dependencies: ["TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers", "TransferscopeCheckpoints"],
            exclude: ["Fixtures"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeCheckpointsTests",
            dependencies: ["TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers", "TransferscopeCheckpoints"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeDataTests",
            dependencies: ["TransferscopeCore", "TransferscopeCheckpoints", "TransferscopeData", "CImageCodecs"],
            exclude: ["Fixtures"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeTrainingTests",
            dependencies: [
                "TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers", "TransferscopeCheckpoints",
                "TransferscopeData", "TransferscopeTraining",
            ],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeAnalysisTests",
            dependencies: [
                "TransferscopeCore", "TransferscopeNN", "TransferscopeCheckpoints", "TransferscopeData",
                "TransferscopeTraining", "TransferscopeAnalysis",
            ],
            exclude: ["Fixtures"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeStudyTests",
            dependencies: ["TransferscopeStudy", "TransferscopeCore", "TransferscopeData", "TransferscopeAnalysis", "TransferscopeTraining"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeFuzzingTests", dependencies: ["TransferscopeFuzzing"],
            swiftSettings: simdFlags),
        // The commands run through the argument parser on procedural data, their files checked.
        .testTarget(
            name: "TransferscopeCLITests",
            dependencies: [
                "transferscope", "TransferscopeCore", "TransferscopeNN", "TransferscopeCheckpoints", "TransferscopeData",
                "TransferscopeTraining", "TransferscopeAnalysis", "TransferscopeStudy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeOptimizersTests",
            dependencies: ["TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers"],
            swiftSettings: simdFlags),
    ],
    swiftLanguageModes: [.v6]
)
