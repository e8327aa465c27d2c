import TransferscopeCore

/// The scratch memory of convolutions: patch matrices and padded images (`columns`) and
/// per-worker partial weight gradients (`gradients`). One per model, shared by its layers, so
/// memory does not grow with depth; it must not be used by two passes at once.
public final class ConvolutionScratch: @unchecked Sendable {
    /// im2col patch matrices and padded images, one buffer per worker.
    public let columns = Workspace()
    /// Partial weight gradients of the backward pass, one buffer per worker.
    public let gradients = Workspace()

    /// Scratch whose buffers grow on first use to the largest size asked of them.
    public init() {}
}
