import Foundation
import TransferscopeNN

/// L2 distances between two models of one architecture, per module (stem, each block, the head)
/// and over the whole network (analysis 4):
///
///     d_i(A, B) = ||theta_i^A - theta_i^B||_2,   d(A, B) = sqrt(sum_i d_i^2)
///
/// over trainable parameters; BatchNorm running statistics are left out unless `includeBuffers`.
public struct ParameterDistance: Codable, Sendable, Equatable {
    /// One module's distance, and the norm of model B's module (so d / norm is the relative distance
    /// when B is the starting point).
    public struct Module: Codable, Sendable, Equatable {
        /// The module's name: `stem`, `layerS.B` or `fc`.
        public var name: String
        /// d_i = ||theta_i^A - theta_i^B||_2 over the module's parameters (and buffers if included).
        public var distance: Double
        /// ||theta_i^B||_2, the reference module's norm over the same tensors.
        public var referenceNorm: Double
        /// d_i / ||theta_i^B||, or 0 when the reference norm is 0.
        public var relative: Double { referenceNorm > 0 ? distance / referenceNorm : 0 }
    }

    /// One entry per module, in forward order (the head left out when skipped).
    public var modules: [Module]
    /// d(A, B) = sqrt(sum_i d_i^2) over the modules listed.
    public var total: Double
    /// ||theta^B||_2 over the modules listed.
    public var referenceNorm: Double
    /// d(A, B) / ||theta^B||, or 0 when the reference norm is 0.
    public var relative: Double { referenceNorm > 0 ? total / referenceNorm : 0 }

    /// The distances between `a` and `b` (the reference for relative distances); with
    /// `skippingHead` the head (`fc`) is left out, so models with different class counts compare.
    public static func between(_ a: ResNet, _ b: ResNet, includeBuffers: Bool = false, skippingHead: Bool = false)
        throws
        -> ParameterDistance
    {
        var (ca, cb) = (a.configuration, b.configuration)
        if skippingHead { (ca.classes, cb.classes) = (0, 0) }
        guard ca == cb else {
            throw AnalysisError.shapeMismatch(
                "the models differ in architecture (\(a.configuration.name) \(a.configuration.widths), "
                    + "\(a.configuration.classes) classes vs \(b.configuration.name) \(b.configuration.widths), "
                    + "\(b.configuration.classes) classes); distances need the same one"
            )
        }
        var modules: [Module] = []
        for ((name, stateA), (_, stateB)) in zip(a.modules, b.modules) where !(skippingHead && name == "fc") {
            var tensorsA = stateA.parameters.map(\.parameter.value)
            var tensorsB = stateB.parameters.map(\.parameter.value)
            if includeBuffers {
                tensorsA += stateA.buffers.map(\.buffer.value)
                tensorsB += stateB.buffers.map(\.buffer.value)
            }
            var squared = 0.0
            var norm = 0.0
            for (x, y) in zip(tensorsA, tensorsB) {
                let (p, q) = (x.unsafePointer, y.unsafePointer)
                for i in 0..<x.count {
                    let d = Double(p[i]) - Double(q[i])
                    squared += d * d
                    norm += Double(q[i]) * Double(q[i])
                }
            }
            modules.append(Module(name: name, distance: squared.squareRoot(), referenceNorm: norm.squareRoot()))
        }
        let total = modules.reduce(0) { $0 + $1.distance * $1.distance }.squareRoot()
        let norm = modules.reduce(0) { $0 + $1.referenceNorm * $1.referenceNorm }.squareRoot()
        return ParameterDistance(modules: modules, total: total, referenceNorm: norm)
    }
}
