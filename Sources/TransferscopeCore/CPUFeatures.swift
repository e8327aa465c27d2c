import Foundation

/// What the processor can run, read once at start-up from its reported features (never from
/// its model number), for kernels that have a faster variant and for choosing OpenBLAS's kernels.
public enum CPUFeatures {
    /// The processor's feature flags as the kernel reports them (`/proc/cpuinfo`), e.g. "avx2".
    public static let flags: Set<String> = Set((cpuinfoField("flags") ?? "").split(separator: " ").map(String.init))

    /// The processor's vendor string (`GenuineIntel`, `AuthenticAMD`, ...), or "" when unknown.
    public static let vendor: String = cpuinfoField("vendor_id") ?? ""

    /// The processor's marketing name, or "unknown".
    public static let modelName: String = cpuinfoField("model name") ?? "unknown"

    /// AVX2 with FMA: what the engine's SIMD code is compiled for on x86-64.
    public static var hasAVX2: Bool { flags.contains("avx2") && flags.contains("fma") }

    /// The AVX-512 subsets OpenBLAS's SkylakeX kernels need: F, VL, BW, DQ and CD.
    public static let avx512FamilyFlags = ["avx512f", "avx512vl", "avx512bw", "avx512dq", "avx512cd"]

    /// Whether the processor has all of `avx512FamilyFlags`.
    public static var hasAVX512Family: Bool { avx512FamilyFlags.allSatisfy(flags.contains) }

    /// Whether the processor has AVX-512F with VL, what the `TransferscopeAVX512` kernels need.
    public static var processorHasAVX512: Bool {
        #if arch(x86_64)
            return flags.contains("avx512f") && flags.contains("avx512vl")
        #else
            return false
        #endif
    }

    /// Whether the `TransferscopeAVX512` kernels may run: the processor has them and
    /// `TRANSFERSCOPE_NO_AVX512=1` does not turn them off (to compare, or to rule them out).
    public static let hasAVX512: Bool =
        processorHasAVX512 && ProcessInfo.processInfo.environment["TRANSFERSCOPE_NO_AVX512"] != "1"

    /// The lines of `/proc/cpuinfo` (empty where there is none); fields come from the first processor.
    private static let cpuinfo: [Substring] = {
        #if os(Linux)
            let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
            return text.split(separator: "\n")
        #else
            return []
        #endif
    }()

    /// The value of the first `name : value` line of `/proc/cpuinfo`.
    private static func cpuinfoField(_ name: String) -> String? {
        cpuinfo.first { $0.hasPrefix(name) }?
            .split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
