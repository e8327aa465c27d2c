import Foundation

/// What the processor can run, read once at start-up from its reported features (never from
/// its model number), for kernels that have a faster variant and for choosing OpenBLAS's kernels.
public enum CPUFeatures {
    /// The processor's feature flags as the kernel reports them (`/proc/cpuinfo`), e.g. "avx2".
    public static let flags: Set<String> = {
        #if os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return [] }
        return Set(line.split(separator: ":", maxSplits: 1).last?.split(separator: " ").map(String.init) ?? [])
        #else
        return []
        #endif
    }()

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

    /// Whether AVX-512F (with VL) is available, so the `TransferscopeAVX512` kernels may run.
    /// `TRANSFERSCOPE_NO_AVX512=1` turns them off (to compare, or to rule them out).
    public static let hasAVX512: Bool = {
        #if arch(x86_64)
        if ProcessInfo.processInfo.environment["TRANSFERSCOPE_NO_AVX512"] == "1" { return false }
        return flags.contains("avx512f") && flags.contains("avx512vl")
        #else
        return false
        #endif
    }()

    private static func cpuinfoField(_ name: String) -> String? {
        #if os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) })
        else { return nil }
        return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        #else
        return nil
        #endif
    }
}
