import Testing
import TransferscopeCore

@Suite("doctor")
struct DoctorTests {
    @Test("doctor names the kernels in use, and notes a user's OPENBLAS_CORETYPE narrower than the processor runs")
    func kernelsAndAdvice() throws {
        let output = try CLI.output(["doctor"])
        let library = try OpenBLASLibrary.loaded.get()
        #expect(output.contains("BLAS:          \(ComputePath.current.blas), \(library.coreType) kernels"))
        // The library was loaded once, with this process's environment: on a machine whose environment
        // holds OpenBLAS to narrower kernels (CI's AMD EPYC sets OPENBLAS_CORETYPE=Haswell) the note must
        // show, elsewhere it must not.
        let advice =
            library.coreTypeSource == .user
            ? OpenBLASLibrary.coreTypeAdvice(
                userCoreType: library.coreType,
                recommended: OpenBLASLibrary.coreType(forFlags: CPUFeatures.flags, vendor: CPUFeatures.vendor))
            : nil
        if let advice {
            #expect(output.contains("note:          \(advice)"))
        } else {
            #expect(!output.contains("note:"), "\(output)")
        }
    }
}
