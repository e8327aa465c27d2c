import TransferscopeCore

/// The scratch memory of convolutions: patch matrices and padded images (`columns`) and
/// per-worker partial weight gradients (`gradients`). One per model, shared by its layers, so
/// memory does not grow with depth; it must not be used by two passes at once.
public final class ConvolutionScratch: @unchecked Sendable {
    public let columns = Workspace()
    public let gradients = Workspace()

    public init() {}
}
