import Foundation

/// What the processor can run, read once at start-up, for kernels that have a faster variant.
public enum CPUFeatures {
    /// Whether AVX-512F (with VL) is available, so the `TransferscopeAVX512` kernels may run.
    /// `TRANSFERSCOPE_NO_AVX512=1` turns them off (to compare, or to rule them out).
    public static let hasAVX512: Bool = {
        #if arch(x86_64) && os(Linux)
        if ProcessInfo.processInfo.environment["TRANSFERSCOPE_NO_AVX512"] == "1" { return false }
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return false }
        let set = Set(flags.split(separator: " ").map(String.init))
        return set.contains("avx512f") && set.contains("avx512vl")
        #else
        return false
        #endif
    }()
}
