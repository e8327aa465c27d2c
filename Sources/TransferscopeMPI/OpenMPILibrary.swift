import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Open MPI's C library, loaded at run time (`dlopen`), so that Transferscope builds and runs
/// without MPI on any machine and uses it only when a process is started by `mpirun`/`srun`.
///
/// Open MPI's handles (`MPI_COMM_WORLD`, `MPI_DOUBLE`, `MPI_SUM`, ...) are the addresses of its
/// global objects (`&ompi_mpi_comm_world`, ...), the same from Open MPI 1.x to 5.x, so they are
/// found with `dlsym` like the functions. Other MPI libraries (MPICH, Intel MPI) define the
/// handles as integers and are not supported: `load` says so.
final class OpenMPILibrary: @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer

    typealias InitThread =
        @convention(c) (
            UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?,
            Int32, UnsafeMutablePointer<Int32>
        ) -> Int32
    typealias Query = @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    typealias Finalize = @convention(c) () -> Int32
    typealias CommQuery = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias Allgather =
        @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle) -> Int32
    typealias Allreduce =
        @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias Barrier = @convention(c) (Handle) -> Int32
    typealias Bcast = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    typealias Send = @convention(c) (UnsafeRawPointer?, Int32, Handle, Int32, Int32, Handle) -> Int32
    typealias Iprobe =
        @convention(c) (Int32, Int32, Handle, UnsafeMutablePointer<Int32>, UnsafeMutableRawPointer) -> Int32
    typealias GetCount = @convention(c) (UnsafeRawPointer, Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias Recv =
        @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Int32, Handle, UnsafeMutableRawPointer) -> Int32
    typealias Abort = @convention(c) (Handle, Int32) -> Int32
    typealias LibraryVersion = @convention(c) (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32

    /// What went wrong loading Open MPI; the message says what to install or set.
    struct LoadError: Error, LocalizedError {
        let message: String
        var errorDescription: String? { message }
    }

    let path: String
    let initThread: InitThread
    let initialized: Query
    let finalized: Query
    let finalize: Finalize
    let commRank: CommQuery
    let commSize: CommQuery
    let allgather: Allgather
    let allreduce: Allreduce
    let barrier: Barrier
    let bcast: Bcast
    let send: Send
    let iprobe: Iprobe
    let getCount: GetCount
    let recv: Recv
    let abort: Abort
    let libraryVersion: LibraryVersion

    /// MPI_COMM_WORLD.
    let world: Handle
    /// The datatypes MPI_BYTE, MPI_INT64_T, MPI_FLOAT, MPI_DOUBLE.
    let byte: Handle
    let int64: Handle
    let float: Handle
    let double: Handle
    /// The reduction MPI_SUM.
    let sum: Handle

    /// MPI_IN_PLACE in Open MPI's mpi.h: `((void *) 1)`.
    static var inPlace: UnsafeRawPointer? { UnsafeRawPointer(bitPattern: 1) }
    /// The thread levels of MPI_Init_thread (mpi.h's enum).
    static let threadFunneled: Int32 = 1
    /// MPI_ANY_SOURCE and MPI_ANY_TAG.
    static let anySource: Int32 = -1
    static let anyTag: Int32 = -1
    /// Bytes reserved for an MPI_Status (Open MPI's is 24: source, tag, error, cancelled, count).
    static let statusBytes = 64

    static let candidatePaths = ["libmpi.so.40", "libmpi.so", "libmpi.dylib", "libmpi.40.dylib"]

    private init(path: String, handle: UnsafeMutableRawPointer) throws {
        func symbol<T>(_ name: String, as type: T.Type) throws -> T {
            guard let address = dlsym(handle, name) else {
                throw LoadError(
                    message:
                        "\(path) has no symbol \(name): Transferscope needs Open MPI (libmpi.so.40; Debian: "
                        + "apt-get install openmpi-bin libopenmpi-dev); MPICH and Intel MPI are not supported")
            }
            return unsafeBitCast(address, to: type)
        }
        func object(_ name: String) throws -> Handle {
            guard let address = dlsym(handle, name) else {
                throw LoadError(
                    message:
                        "\(path) has no object \(name): it is not Open MPI (MPICH and Intel MPI are not supported); "
                        + "install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev) or set "
                        + "TRANSFERSCOPE_MPI_LIBRARY to its libmpi.so")
            }
            return address
        }
        self.path = path
        initThread = try symbol("MPI_Init_thread", as: InitThread.self)
        initialized = try symbol("MPI_Initialized", as: Query.self)
        finalized = try symbol("MPI_Finalized", as: Query.self)
        finalize = try symbol("MPI_Finalize", as: Finalize.self)
        commRank = try symbol("MPI_Comm_rank", as: CommQuery.self)
        commSize = try symbol("MPI_Comm_size", as: CommQuery.self)
        allgather = try symbol("MPI_Allgather", as: Allgather.self)
        allreduce = try symbol("MPI_Allreduce", as: Allreduce.self)
        barrier = try symbol("MPI_Barrier", as: Barrier.self)
        bcast = try symbol("MPI_Bcast", as: Bcast.self)
        send = try symbol("MPI_Send", as: Send.self)
        iprobe = try symbol("MPI_Iprobe", as: Iprobe.self)
        getCount = try symbol("MPI_Get_count", as: GetCount.self)
        recv = try symbol("MPI_Recv", as: Recv.self)
        abort = try symbol("MPI_Abort", as: Abort.self)
        libraryVersion = try symbol("MPI_Get_library_version", as: LibraryVersion.self)
        world = try object("ompi_mpi_comm_world")
        byte = try object("ompi_mpi_byte")
        int64 = try object("ompi_mpi_int64_t")
        float = try object("ompi_mpi_float")
        double = try object("ompi_mpi_double")
        sum = try object("ompi_mpi_op_sum")
    }

    /// Loads Open MPI from `TRANSFERSCOPE_MPI_LIBRARY` or the usual names. `RTLD_GLOBAL`: Open
    /// MPI loads its own plugins, which look up libmpi's symbols in the global scope.
    static func load() throws -> OpenMPILibrary {
        let environment = ProcessInfo.processInfo.environment
        let paths = environment["TRANSFERSCOPE_MPI_LIBRARY"].map { [$0] } ?? candidatePaths
        var failures: [String] = []
        for candidate in paths {
            if let handle = dlopen(candidate, RTLD_NOW | RTLD_GLOBAL) {
                return try OpenMPILibrary(path: candidate, handle: handle)
            }
            failures.append(dlerror().map { String(cString: $0) } ?? candidate)
        }
        throw LoadError(
            message: """
                this process was started by an MPI launcher, but Open MPI could not be loaded \
                (\(failures.joined(separator: "; "))). Install it (Debian/Ubuntu: apt-get install openmpi-bin \
                libopenmpi-dev) or set TRANSFERSCOPE_MPI_LIBRARY to the path of libmpi.so.
                """)
    }

    /// The library's own description (MPI_Get_library_version), e.g. "Open MPI v4.1.4, ...".
    var versionDescription: String {
        var buffer = [CChar](repeating: 0, count: 8192)
        var length: Int32 = 0
        _ = libraryVersion(&buffer, &length)
        let text = String(cString: buffer)
        return text.split(separator: "\n").first.map(String.init) ?? text
    }
}
