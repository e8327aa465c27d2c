import ArgumentParser
import Foundation
import TransferscopeCore

/// `transferscope doctor`: the processor, the kernels in use, and (with `--measure`) how fast they run.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show the processor and the compute path in use (BLAS kernels, convolution kernels).",
        discussion: """
            OpenBLAS's kernels are chosen from the processor's features (AVX-512 -> SkylakeX, \
            AVX2 -> Haswell or Zen), not from its model number; OPENBLAS_CORETYPE, when set, is \
            respected. --measure also times the machine's FMA peak and sgemm through the engine's \
            BLAS path, so a slow kernel shows at once.
            Example: transferscope doctor --measure
            """)

    @Flag(help: "Measure the FMA peak and sgemm GFLOP/s (a few seconds).")
    var measure = false

    func run() throws {
        let library = try OpenBLASLibrary.loaded.get()
        let path = ComputePath.current
        print(
            "processor:     \(CPUFeatures.modelName) "
                + "(\(CPUFeatures.vendor.isEmpty ? "unknown vendor" : CPUFeatures.vendor))"
        )
        let features =
            path.processorFeatures.isEmpty ? "neither AVX2 nor AVX-512" : path.processorFeatures.joined(separator: ", ")
        print("SIMD:          \(features)")
        print(
            "BLAS:          \(path.blas), \(path.blasCoreType) kernels (\(path.blasCoreTypeSource)) from "
                + "\(library.path)"
        )
        if library.coreTypeSource == .user,
            let advice = OpenBLASLibrary.coreTypeAdvice(
                userCoreType: library.coreType,
                recommended: OpenBLASLibrary.coreType(forFlags: CPUFeatures.flags, vendor: CPUFeatures.vendor))
        {
            print("note:          \(advice)")
        }
        print("convolutions:  \(path.convolutionKernels)")
        print("threads:       \(Parallel.workerCount)")
        guard measure else { return }
        if _isDebugAssertConfiguration() {
            print(
                "note:          a debug build: the FMA loop is not optimized; measure with a release build (make build)"
            )
        }
        let peak = MachinePeak.fmaGigaflops(threads: 1)
        let gemm = MachinePeak.sgemmGigaflops(size: 1024, threads: 1)
        print(
            String(
                format: "FMA peak:      %.1f GFLOP/s per core (measured, %d-bit vectors)", peak, MachinePeak.vectorBits)
        )
        print(
            String(format: "sgemm 1024^3:  %.1f GFLOP/s on one core, %.0f%% of the FMA peak", gemm, 100 * gemm / peak))
    }
}
