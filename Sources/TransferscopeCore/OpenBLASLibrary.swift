import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// OpenBLAS, loaded at run time with its kernels chosen from the processor's features.
///
/// OpenBLAS picks its kernels ("core type") once, while it loads, from a table of processor
/// model numbers. A model its table does not know (Debian's 0.3.21 on a new Xeon) gets the
/// generic `Prescott` kernels, about 4x slower than the processor can run (22 vs 101 GFLOP/s per
/// core for sgemm 1024^3 on an AVX-512 Xeon). So Transferscope does not link OpenBLAS: before
/// loading it with `dlopen`, it sets `OPENBLAS_CORETYPE` from the processor's feature flags
/// (AVX-512 F/VL/BW/DQ/CD -> SkylakeX, AVX2 + FMA -> Haswell, or Zen on AMD), unless the user
/// has set that variable, which is always respected. What was chosen, and why, is recorded in
/// `run.json` and printed by `transferscope doctor`.
public final class OpenBLASLibrary: @unchecked Sendable {
    /// How the core type in use came about.
    public enum CoreTypeSource: String, Codable, Sendable {
        case user = "OPENBLAS_CORETYPE set by the user"
        case processorFeatures = "chosen from the processor's features"
        case library = "OpenBLAS's own detection"
    }

    /// What went wrong loading OpenBLAS; the message says what to install or set.
    public struct LoadError: Error, LocalizedError, Sendable {
        /// Why OpenBLAS could not be used (the path or symbol) and what to install or set.
        public let message: String
        /// The message, unchanged.
        public var errorDescription: String? { message }
    }

    /// The file that was loaded (as given to `dlopen`).
    public let path: String
    /// The kernels OpenBLAS actually runs (`openblas_get_corename()`), e.g. "SkylakeX".
    public let coreType: String
    /// OpenBLAS's build description (`openblas_get_config()`), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ...".
    public let configuration: String
    /// How `coreType` was chosen: `OPENBLAS_CORETYPE` from the user, the processor's features, or OpenBLAS.
    public let coreTypeSource: CoreTypeSource

    typealias SgemmFunction =
        @convention(c) (
            Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
            UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
        ) -> Void
    typealias SsyrkFunction =
        @convention(c) (
            Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, Float,
            UnsafeMutablePointer<Float>?, Int32
        ) -> Void
    /// LAPACK's Fortran dsyevd_ (all arguments by reference, then the hidden lengths of the two
    /// character arguments, as gfortran passes them).
    typealias DsyevdFunction =
        @convention(c) (
            UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafePointer<Int32>, UnsafeMutablePointer<Double>,
            UnsafePointer<Int32>, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>, UnsafePointer<Int32>,
            UnsafeMutablePointer<Int32>, UnsafePointer<Int32>, UnsafeMutablePointer<Int32>, Int, Int
        ) -> Void
    typealias SetThreadsFunction = @convention(c) (Int32) -> Void
    typealias NameFunction = @convention(c) () -> UnsafeMutablePointer<CChar>?

    let sgemm: SgemmFunction
    let ssyrk: SsyrkFunction
    /// LAPACK's symmetric eigen-solver, when the library carries LAPACK (Debian's does); nil otherwise.
    let dsyevd: DsyevdFunction?

    /// CBLAS's enumeration values (cblas.h), passed as C ints.
    enum CBLAS {
        static let rowMajor: Int32 = 101
        static let noTranspose: Int32 = 111
        static let transpose: Int32 = 112
        static let upper: Int32 = 121
    }

    private init(
        path: String, coreType: String, configuration: String,
        coreTypeSource: CoreTypeSource, sgemm: SgemmFunction, ssyrk: SsyrkFunction, dsyevd: DsyevdFunction?
    ) {
        self.path = path
        self.coreType = coreType
        self.configuration = configuration
        self.coreTypeSource = coreTypeSource
        self.sgemm = sgemm
        self.ssyrk = ssyrk
        self.dsyevd = dsyevd
    }

    /// The process's OpenBLAS, loaded on first use (single-threaded: the engine's own workers
    /// split the work and each calls sgemm on its own pieces).
    public static let loaded: Result<OpenBLASLibrary, LoadError> = Result { try load() }.mapError {
        $0 as? LoadError ?? LoadError(message: "\($0)")
    }

    /// The loaded library; stops the process with the load error's message if it could not load.
    /// Commands call `OpenBLASLibrary.loaded` first to report that error as an error instead.
    public static var shared: OpenBLASLibrary {
        switch loaded {
        case .success(let library): return library
        case .failure(let error): fatalError(error.message)
        }
    }

    /// The OpenBLAS core type whose kernels the processor with these feature flags can run
    /// fastest, or nil to leave the choice to OpenBLAS (no AVX2, or not x86-64).
    public static func coreType(forFlags flags: Set<String>, vendor: String) -> String? {
        #if arch(x86_64)
            if CPUFeatures.avx512FamilyFlags.allSatisfy(flags.contains) {
                return "SkylakeX"
            }
            if flags.contains("avx2") && flags.contains("fma") {
                return vendor == "AuthenticAMD" || vendor == "HygonGenuine" ? "Zen" : "Haswell"
            }
        #endif
        return nil
    }

    /// Where OPENBLAS_CORETYPE=`userCoreType` holds OpenBLAS to narrower vectors than the kernels
    /// `recommended` for this processor (`coreType(forFlags:vendor:)`), what to tell the user; nil
    /// where it does not. Seen: an AMD EPYC with AVX-512 whose environment set OPENBLAS_CORETYPE=Haswell,
    /// where sgemm 1024^3 on one core ran at 128-133 GFLOP/s (47-49% of its FMA peak) instead of
    /// 242-245 (88-90%) with SkylakeX's kernels.
    public static func coreTypeAdvice(userCoreType: String, recommended: String?) -> String? {
        func vectorBits(_ coreType: String) -> Int {
            switch coreType.lowercased() {
            case "skylakex", "cooperlake", "sapphirerapids": return 512
            case "haswell", "zen", "sandybridge": return 256
            default: return 128
            }
        }
        guard let recommended, vectorBits(recommended) > vectorBits(userCoreType) else { return nil }
        return """
            OPENBLAS_CORETYPE=\(userCoreType) holds sgemm to \(vectorBits(userCoreType))-bit kernels; this processor \
            runs \(recommended)'s \(vectorBits(recommended))-bit ones, which Transferscope picks when the variable \
            is unset (compare with `doctor --measure` before and after)
            """
    }

    static let candidatePaths = [
        "libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
    ]

    private static func load() throws -> OpenBLASLibrary {
        let environment = ProcessInfo.processInfo.environment
        let userCoreType = environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        let chosen = userCoreType == nil ? coreType(forFlags: CPUFeatures.flags, vendor: CPUFeatures.vendor) : nil
        // OpenBLAS reads the variable in its load-time constructor; set it for that moment only,
        // so child processes see the environment the user gave.
        if let chosen { setenv("OPENBLAS_CORETYPE", chosen, 1) }
        defer { if chosen != nil { unsetenv("OPENBLAS_CORETYPE") } }

        let paths = environment["TRANSFERSCOPE_OPENBLAS"].map { [$0] } ?? candidatePaths
        var handle: UnsafeMutableRawPointer?
        var path = ""
        var failures: [String] = []
        for candidate in paths {
            handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL)
            if handle != nil {
                path = candidate
                break
            }
            failures.append(dlerror().map { String(cString: $0) } ?? candidate)
        }
        guard let handle else {
            throw LoadError(
                message: """
                    OpenBLAS could not be loaded (\(failures.joined(separator: "; "))). \
                    Install it (Debian/Ubuntu: apt-get install libopenblas0-pthread, or run scripts/install-deps.sh), \
                    or set TRANSFERSCOPE_OPENBLAS to the path of libopenblas.so.
                    """)
        }
        func symbol<T>(_ name: String, as type: T.Type) throws -> T {
            guard let address = dlsym(handle, name) else {
                throw LoadError(
                    message: "\(path) has no symbol \(name): it is not an OpenBLAS build Transferscope can use")
            }
            return unsafeBitCast(address, to: type)
        }
        let configuration = try symbol("openblas_get_config", as: NameFunction.self)().map { String(cString: $0) } ?? ""
        if configuration.contains("USE64BITINT") {
            throw LoadError(
                message: """
                    \(path) is built with 64-bit integers (\(configuration)); Transferscope calls the 32-bit \
                    interface. Point TRANSFERSCOPE_OPENBLAS at the 32-bit library (Debian: libopenblas0-pthread, \
                    not libopenblas64-0).
                    """)
        }
        try symbol("openblas_set_num_threads", as: SetThreadsFunction.self)(1)
        let coreName =
            try symbol("openblas_get_corename", as: NameFunction.self)().map { String(cString: $0) } ?? "unknown"
        return OpenBLASLibrary(
            path: path, coreType: coreName, configuration: configuration,
            coreTypeSource: userCoreType != nil ? .user : (chosen != nil ? .processorFeatures : .library),
            sgemm: try symbol("cblas_sgemm", as: SgemmFunction.self),
            ssyrk: try symbol("cblas_ssyrk", as: SsyrkFunction.self),
            dsyevd: dlsym(handle, "dsyevd_").map { unsafeBitCast($0, to: DsyevdFunction.self) })
    }
}
