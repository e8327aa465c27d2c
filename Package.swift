// swift-tools-version: 6.0
import PackageDescription

// Swift emits FMA/AVX2 SIMD code only when clang is told the target has them; without
// `-mfma`, `SIMD.addProduct` lowers to a scalar libm call (~100x slower).
#if arch(x86_64)
    let simdFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"])]
    // Only the TransferscopeAVX512 target is compiled for AVX-512; its kernels run only where the
    // processor reports avx512f (CPUFeatures.hasAVX512), so the package still runs on AVX2 machines.
    let avx512Flags: [SwiftSetting] = [
        .unsafeFlags([
            "-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mavx512f", "-Xcc", "-mavx512vl",
            "-enforce-exclusivity=unchecked",
        ])
    ]
#else
    let simdFlags: [SwiftSetting] = []
    let avx512Flags: [SwiftSetting] = []
#endif
let fastMath: [SwiftSetting] = simdFlags + [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

let package = Package(
    name: "Transferscope",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "TransferscopeIO", targets: ["TransferscopeIO"]),
        .library(name: "TransferscopeCore", targets: ["TransferscopeCore"]),
        .library(name: "TransferscopeNN", targets: ["TransferscopeNN"]),
        .library(name: "TransferscopeOptimizers", targets: ["TransferscopeOptimizers"]),
        .library(name: "TransferscopeCheckpoints", targets: ["TransferscopeCheckpoints"]),
        .library(name: "TransferscopeData", targets: ["TransferscopeData"]),
        .library(name: "TransferscopeTraining", targets: ["TransferscopeTraining"]),
        .library(name: "TransferscopeStatistics", targets: ["TransferscopeStatistics"]),
        .library(name: "TransferscopeAnalysis", targets: ["TransferscopeAnalysis"]),
        .library(name: "TransferscopeExperiments", targets: ["TransferscopeExperiments"]),
        .library(name: "TransferscopeStudy", targets: ["TransferscopeStudy"]),
        .library(name: "TransferscopeMPI", targets: ["TransferscopeMPI"]),
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
        // Files: safetensors (with a header-only read), atomic writes, the JSON convention, locks,
        // content stamps and the limits on what is read from outside. Foundation only.
        .target(name: "TransferscopeIO"),
        // Tensors, BLAS, threading, randomness: the engine's core.
        .target(
            name: "TransferscopeCore", dependencies: ["TransferscopeAVX512", "TransferscopeIO"], swiftSettings: fastMath
        ),
        // Open MPI, loaded at run time when an MPI launcher started the process (no build
        // dependency: a machine without MPI builds and runs everything in one process).
        .target(name: "TransferscopeMPI", dependencies: ["TransferscopeCore"]),
        // Layers, models, initialization.
        .target(
            name: "TransferscopeNN", dependencies: ["TransferscopeCore", "TransferscopeIO"], swiftSettings: fastMath),
        // SGD and learning-rate schedules.
        .target(
            name: "TransferscopeOptimizers", dependencies: ["TransferscopeCore", "TransferscopeNN"],
            swiftSettings: fastMath),
        // Model checkpoints: PyTorch state dicts in safetensors, with the architecture recorded.
        .target(
            name: "TransferscopeCheckpoints",
            dependencies: ["TransferscopeCore", "TransferscopeIO", "TransferscopeNN", "TransferscopeOptimizers"],
            swiftSettings: fastMath),
        // Dataset readers, the built-in catalogue, transforms and batching.
        .target(
            name: "TransferscopeData",
            dependencies: ["TransferscopeCore", "TransferscopeIO", "CImageCodecs"],
            swiftSettings: fastMath),
        // The resumable trainer, the evaluator, the training recipes and what a run records.
        .target(
            name: "TransferscopeTraining",
            dependencies: [
                "TransferscopeCore", "TransferscopeIO", "TransferscopeNN", "TransferscopeOptimizers",
                "TransferscopeCheckpoints", "TransferscopeData",
            ],
            swiftSettings: fastMath),
        // Confidence intervals (t, Welch, bootstrap), permutation tests, equivalence and the one verdict rule.
        .target(name: "TransferscopeStatistics", dependencies: ["TransferscopeCore"]),
        // The paper's measurements of trained models (CKA, distances, mistakes, interpolation,
        // criticality, ...) and the pairs of runs they compare; it never trains a network.
        .target(
            name: "TransferscopeAnalysis",
            dependencies: [
                "TransferscopeCore", "TransferscopeIO", "TransferscopeNN", "TransferscopeOptimizers",
                "TransferscopeCheckpoints", "TransferscopeData", "TransferscopeTraining",
            ],
            swiftSettings: fastMath),
        // Experiments that train many target runs: the block-shuffle sweep and the choice of
        // source checkpoint.
        .target(
            name: "TransferscopeExperiments",
            dependencies: ["TransferscopeCore", "TransferscopeIO", "TransferscopeData", "TransferscopeTraining"],
            swiftSettings: fastMath),
        // Studies: the study file, the plan and its cache keys, the runner, the findings and the report.
        .target(
            name: "TransferscopeStudy",
            dependencies: [
                "TransferscopeCore", "TransferscopeIO", "TransferscopeNN", "TransferscopeOptimizers",
                "TransferscopeCheckpoints", "TransferscopeData", "TransferscopeTraining", "TransferscopeAnalysis",
                "TransferscopeExperiments", "TransferscopeStatistics", "TransferscopeMPI",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: fastMath),

        .executableTarget(
            name: "transferscope",
            dependencies: [
                "TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers",
                "TransferscopeCheckpoints", "TransferscopeData", "TransferscopeTraining",
                "TransferscopeAnalysis", "TransferscopeExperiments", "TransferscopeStudy", "TransferscopeIO",
                "TransferscopeMPI", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: simdFlags),
        // Fuzz targets for the file readers and a seeded mutation engine (tests, transferscope-fuzz).
        .target(
            name: "TransferscopeFuzzing",
            dependencies: [
                "TransferscopeIO",
                "TransferscopeCore", "TransferscopeNN", "TransferscopeCheckpoints", "TransferscopeData",
                "TransferscopeTraining",
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
            name: "TransferscopeCoreTests", dependencies: ["TransferscopeCore", "TransferscopeIO"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeNNTests",
            dependencies: [
                "TransferscopeIO", "TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers",
                "TransferscopeCheckpoints",
            ],
            exclude: ["Fixtures"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeCheckpointsTests",
            dependencies: [
                "TransferscopeIO", "TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers",
                "TransferscopeCheckpoints",
            ],
            exclude: ["Fixtures"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeDataTests",
            dependencies: ["TransferscopeCore", "TransferscopeData", "CImageCodecs"],
            exclude: ["Fixtures"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeTrainingTests",
            dependencies: [
                "TransferscopeIO",
                "TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers", "TransferscopeCheckpoints",
                "TransferscopeData", "TransferscopeTraining",
            ],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeAnalysisTests",
            dependencies: [
                "TransferscopeOptimizers", "TransferscopeExperiments",
                "TransferscopeCore", "TransferscopeNN", "TransferscopeCheckpoints", "TransferscopeData",
                "TransferscopeTraining", "TransferscopeAnalysis",
            ],
            exclude: ["Fixtures"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeStudyTests",
            dependencies: [
                "TransferscopeStatistics", "TransferscopeExperiments",
                "TransferscopeIO", "TransferscopeStudy", "TransferscopeCore", "TransferscopeData",
                "TransferscopeAnalysis", "TransferscopeTraining",
            ],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeFuzzingTests", dependencies: ["TransferscopeFuzzing"],
            swiftSettings: simdFlags),
        // The commands run through the argument parser on procedural data, their files checked.
        .testTarget(
            name: "TransferscopeCLITests",
            dependencies: [
                "TransferscopeIO", "TransferscopeExperiments",
                "transferscope", "TransferscopeCore", "TransferscopeNN", "TransferscopeCheckpoints",
                "TransferscopeData",
                "TransferscopeTraining", "TransferscopeAnalysis", "TransferscopeStudy", "TransferscopeMPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeStatisticsTests", dependencies: ["TransferscopeCore", "TransferscopeStatistics"],
            swiftSettings: simdFlags),
        .testTarget(
            name: "TransferscopeOptimizersTests",
            dependencies: ["TransferscopeCore", "TransferscopeNN", "TransferscopeOptimizers"],
            swiftSettings: simdFlags),
    ],
    swiftLanguageModes: [.v6]
)
