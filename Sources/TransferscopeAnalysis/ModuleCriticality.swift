import Foundation
import TransferscopeCore
import TransferscopeNN

/// Module criticality (Zhang, Bengio, Singer 2019; Chatterji, Neyshabur, Sedghi 2020), analysis 6.
///
/// For each module i (stem, every block, the head) with start theta_i^0 (P's value for P-T, the
/// random initialization for RI-T) and final theta_i^F, the module alone is moved along
/// theta_i(alpha) = (1 - alpha) theta_i^0 + alpha theta_i^F (its BatchNorm statistics too), the
/// rest kept final, and Gaussian noise u is added to its parameters:
///
///     mu_i = min { alpha^2 ||theta_i^F - theta_i^0||_r^2 / sigma^2 :
///                  E_u[err(theta_i(alpha) + u, rest final)] <= epsilon },   alpha, sigma in [0, 1],
///
/// where ||.||_r measures each parameter tensor in units of its root-mean-square final value (the
/// scale the relative noise below uses), so that the ratio is the paper's with an absolute sigma.
///
/// estimated on a grid with `samples` Monte Carlo draws (the smallest feasible alpha of each sigma
/// found by bisection over the alpha grid). sigma is relative: the noise of each
/// parameter tensor has standard deviation sigma times the tensor's root-mean-square final value,
/// so that sigma = 1 is noise as large as the weights. epsilon is the final model's error plus
/// `tolerance`. alpha = 0 is the rewind test; mu_i = 0 when rewinding costs nothing.
public struct ModuleCriticality: Codable, Sendable, Equatable {
    /// The rewind and noise results of one module i.
    public struct Module: Codable, Sendable, Equatable {
        /// The module's name: `stem`, `layerS.B` or `fc`.
        public var name: String
        /// ||theta_i^F - theta_i^0||.
        public var distance: Double
        /// Error with the module rewound to its start (alpha = 0, no noise).
        public var rewindError: Double
        /// Error at each alpha of the grid, no noise (the heatmap row).
        public var errorAlongAlpha: [Double]
        /// mu_i, or nil when no (alpha, sigma > 0) of the grid met epsilon.
        public var criticality: Double?
        /// The (alpha, sigma) attaining mu_i.
        public var alpha: Double?
        /// The sigma attaining mu_i (relative noise, in (0, 1]); nil with `criticality`.
        public var sigma: Double?
    }

    /// The alpha grid, in [0, 1] with 0 and 1 included.
    public var alphas: [Double]
    /// The relative noise levels tried, in [0, 1].
    public var sigmas: [Double]
    /// Monte Carlo noise draws per (alpha, sigma) in the expected error.
    public var samples: Int
    /// The error threshold: the final model's error plus the tolerance.
    public var epsilon: Double
    /// Error in [0, 1] of the final model, every module at theta_i^F.
    public var finalError: Double
    /// One entry per module, in forward order.
    public var modules: [Module]

    /// The smallest alpha^2 ||theta_F - theta_0||^2 / sigma^2 over the feasible (alpha, sigma) of
    /// the grid, with its alpha and sigma; nil when no sigma is feasible even at alpha = 1.
    /// For each sigma (largest first) the smallest feasible alpha is found by bisection, on the
    /// premise that feasibility only improves as alpha nears 1; alphas whose ratio cannot beat
    /// the best so far are not evaluated.
    static func search(
        alphas: [Double], sigmas: [Double], squaredDistance squared: Double,
        feasible: (_ alpha: Double, _ sigma: Double) throws -> Bool
    ) rethrows -> (value: Double, alpha: Double, sigma: Double)? {
        let grid = alphas.sorted()
        var best: (value: Double, alpha: Double, sigma: Double)?
        for sigma in sigmas.sorted(by: >) where sigma > 0 {
            if let best, best.value == 0 { break }
            guard try feasible(1, sigma) else { continue }
            var (low, high) = (0, grid.count - 1)  // grid[high] is feasible
            while low < high {
                let middle = (low + high) / 2
                // At or above this alpha nothing beats the best ratio so far: look lower only.
                if let best, grid[middle] * grid[middle] * squared / (sigma * sigma) >= best.value {
                    high = middle
                    continue
                }
                if try feasible(grid[middle], sigma) { high = middle } else { low = middle + 1 }
            }
            let ratio = grid[high] * grid[high] * squared / (sigma * sigma)
            let improves = best.map { ratio < $0.value } ?? true
            if improves { best = (ratio, grid[high], sigma) }
        }
        return best
    }

    /// Measures every module of `final` against `start` on `data` (use a fixed training subset).
    public static func measure(
        final: ResNet, start: ResNet, data: EvaluationSet, alphas: [Double] = Interpolation.grid(count: 11),
        sigmas: [Double] = [0.05, 0.1, 0.2, 0.5, 1], samples: Int = 2, tolerance: Double = 0.05, seed: UInt64 = 0,
        progress: (String) -> Void = { _ in }
    ) throws -> ModuleCriticality {
        guard let rewindIndex = alphas.firstIndex(of: 0), alphas.contains(1),
            alphas.allSatisfy({ (0...1).contains($0) })
        else {
            throw AnalysisError.invalidArgument(
                "criticality: the alpha grid must lie in [0, 1] and include 0 and 1, got \(alphas)")
        }
        guard samples >= 1, sigmas.allSatisfy({ $0 >= 0 && $0 <= 1 }) else {
            throw AnalysisError.invalidArgument("criticality: sigmas must lie in [0, 1] and samples be at least 1")
        }
        var generator = RandomGenerator(seed: 0)
        let work = ResNet(final.configuration, generator: &generator)
        try WeightSpace.requireSameArchitecture(work, [start])
        WeightSpace.copy(final, into: work)
        let finalError = 1 - (try data.evaluate(work)).accuracy
        let epsilon = finalError + tolerance
        var results: [Module] = []
        for (index, ((name, finalState), (_, startState))) in zip(final.modules, start.modules).enumerated() {
            progress(name)
            let workState = work.modules[index].state
            // Only this module moves: every module before it is final, so its input is computed once.
            let data = data.entering(module: index, of: work) ?? data
            // The squared distance, and the same measured in units of the noise: each tensor's
            // displacement over its root-mean-square final value, the scale sigma multiplies, so that
            // mu compares alpha^2 ||theta^F - theta^0||^2 with the noise's variance as the paper's
            // absolute-sigma definition does (a tensor whose final value is all zero gets no noise
            // and is left out of the normalized sum).
            var squared = 0.0
            var normalized = 0.0
            for (f, s) in zip(finalState.parameters, startState.parameters) {
                var tensorSquared = 0.0
                var meanSquare = 0.0
                for i in 0..<f.parameter.value.count {
                    let d = Double(f.parameter.value[flat: i]) - Double(s.parameter.value[flat: i])
                    tensorSquared += d * d
                    meanSquare += Double(f.parameter.value[flat: i]) * Double(f.parameter.value[flat: i])
                }
                meanSquare /= Double(max(f.parameter.value.count, 1))
                squared += tensorSquared
                if meanSquare > 0 { normalized += tensorSquared / meanSquare }
            }
            /// Sets the module to alpha (parameters and statistics), plus noise of relative size sigma.
            func place(alpha: Double, sigma: Double, draw: Int) {
                let (a, b) = (Float(1 - alpha), Float(alpha))
                for ((w, f), s) in zip(zip(workState.parameters, finalState.parameters), startState.parameters) {
                    let (fv, sv) = (f.parameter.value, s.parameter.value)
                    var rms = 0.0
                    if sigma > 0 { for i in 0..<fv.count { rms += Double(fv[flat: i] * fv[flat: i]) } }
                    let deviation = sigma * (rms / Double(max(fv.count, 1))).squareRoot()
                    let stream = RandomStream.criticalityDraw(
                        module: index, draw: draw, sigmaMillionths: Int((sigma * 1e6).rounded()))
                    var noise = RandomGenerator(seed: seed).derived(stream)
                    let (fp, sp, wp) = (fv.unsafePointer, sv.unsafePointer, w.parameter.value.unsafeMutablePointer)
                    for i in 0..<fv.count {
                        wp[i] = a * sp[i] + b * fp[i] + (sigma > 0 ? Float(deviation * noise.nextNormal()) : 0)
                    }
                }
                for ((w, f), s) in zip(zip(workState.buffers, finalState.buffers), startState.buffers) {
                    let (fp, sp, wp) = (
                        f.buffer.value.unsafePointer, s.buffer.value.unsafePointer, w.buffer.value.unsafeMutablePointer
                    )
                    for i in 0..<f.buffer.value.count { wp[i] = a * sp[i] + b * fp[i] }
                }
            }
            let errors = try alphas.map { alpha -> Double in
                place(alpha: alpha, sigma: 0, draw: 0)
                return 1 - (try data.evaluate(work)).accuracy
            }
            // For each sigma, the smallest alpha whose expected error stays within epsilon, found by
            // bisection on the alpha grid (the noisy error is taken to fall as alpha nears the
            // final value, as along the valley); a sigma whose alpha = 1 already fails is skipped.
            func feasible(alpha: Double, sigma: Double) throws -> Bool {
                var total = 0.0
                for draw in 0..<samples {
                    place(alpha: alpha, sigma: sigma, draw: draw)
                    total += 1 - (try data.evaluate(work)).accuracy
                }
                return total / Double(samples) <= epsilon
            }
            let best = try Self.search(alphas: alphas, sigmas: sigmas, squaredDistance: normalized, feasible: feasible)
            results.append(
                Module(
                    name: name, distance: squared.squareRoot(), rewindError: errors[rewindIndex],
                    errorAlongAlpha: errors, criticality: best?.value, alpha: best?.alpha, sigma: best?.sigma))
            // Restore the module to its final value before the next one.
            place(alpha: 1, sigma: 0, draw: 0)
        }
        return ModuleCriticality(
            alphas: alphas, sigmas: sigmas, samples: samples, epsilon: epsilon, finalError: finalError, modules: results
        )
    }
}
