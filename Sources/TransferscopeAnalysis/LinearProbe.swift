import Foundation

/// A linear probe (Alain and Bengio 2016): multinomial logistic regression on frozen features,
/// fitted full-batch in Double.
///
/// The features are standardized with the training rows' mean and (population) deviation, z =
/// (x - mean) / std (a constant feature becomes 0). The fit minimizes
///
///     L(W, b) = (1/n) sum_i [logsumexp_c(W_c . z_i + b_c) - (W_{y_i} . z_i + b_{y_i})] + (l2 / 2) |W|^2
///
/// (the bias not penalized), whose gradient is dL/dW_c = (1/n) sum_i (p_ic - [y_i = c]) z_i + l2 W_c
/// and dL/db_c = (1/n) sum_i (p_ic - [y_i = c]), p_i = softmax(W z_i + b). L is strictly convex in W
/// for l2 > 0; it is minimized by L-BFGS (Nocedal and Wright 2006, "Numerical Optimization",
/// Algorithm 7.4, memory 10) from zero, with a backtracking (Armijo) line search, until the
/// largest gradient entry is below `tolerance` or after `maximumIterations` steps.
///
/// Cost: O(n d k) per evaluation of L for n rows, d features and k classes; a few per step.
struct LinearProbe {
    /// k: the number of classes.
    var classes: Int
    /// The training rows' mean of each feature.
    var featureMean: [Double]
    /// 1 / the training rows' deviation of each feature (0 for a constant feature).
    var featureScale: [Double]
    /// W: [k, d] row-major, on standardized features.
    var weights: [Double]
    /// b: one per class.
    var bias: [Double]
    /// The L-BFGS steps taken.
    var iterations: Int
    /// L at the end of the fit.
    var loss: Double

    /// The L-BFGS memory: pairs of steps and gradient changes kept.
    static let memory = 10

    /// Fits the probe to `features` with their `labels` (each in 0..<classes).
    init(
        training features: FeatureMatrix, labels: [Int], classes: Int, l2: Double = 1e-3,
        maximumIterations: Int = 500, tolerance: Double = 1e-6
    ) {
        precondition(labels.count == features.count, "LinearProbe: \(labels.count) labels for \(features.count) rows")
        precondition(features.count > 0 && classes > 0, "LinearProbe: needs rows and classes")
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "LinearProbe: a label outside 0..<\(classes)")
        let (n, d) = (features.count, features.width)
        var mean = [Double](repeating: 0, count: d)
        var variance = [Double](repeating: 0, count: d)
        for i in 0..<n {
            for j in 0..<d { mean[j] += features.values[i * d + j] / Double(n) }
        }
        for i in 0..<n {
            for j in 0..<d { variance[j] += pow(features.values[i * d + j] - mean[j], 2) / Double(n) }
        }
        featureMean = mean
        featureScale = variance.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
        self.classes = classes
        let z = Self.standardized(features, mean: featureMean, scale: featureScale)
        let problem = Objective(z: z, labels: labels, rows: n, width: d, classes: classes, l2: l2)
        let fit = Self.minimize(
            problem, start: [Double](repeating: 0, count: classes * (d + 1)),
            maximumIterations: maximumIterations, tolerance: tolerance)
        weights = Array(fit.x[0..<(classes * d)])
        bias = Array(fit.x[(classes * d)...])
        iterations = fit.iterations
        loss = fit.loss
    }

    /// The predicted class of each row of `features` (the first of equal scores).
    func predictions(_ features: FeatureMatrix) -> [Int] {
        let d = features.width
        precondition(d == featureMean.count, "LinearProbe: fitted on \(featureMean.count) features, given \(d)")
        let z = Self.standardized(features, mean: featureMean, scale: featureScale)
        return (0..<features.count).map { i in
            var best = 0
            var bestScore = -Double.infinity
            for c in 0..<classes {
                var score = bias[c]
                for j in 0..<d { score += weights[c * d + j] * z[i * d + j] }
                if score > bestScore {
                    best = c
                    bestScore = score
                }
            }
            return best
        }
    }

    /// The fraction of rows whose predicted class is their label.
    func accuracy(_ features: FeatureMatrix, labels: [Int]) -> Double {
        precondition(labels.count == features.count, "LinearProbe: \(labels.count) labels for \(features.count) rows")
        guard !labels.isEmpty else { return .nan }
        let correct = zip(predictions(features), labels).filter { $0 == $1 }.count
        return Double(correct) / Double(labels.count)
    }

    /// (x - mean) * scale, row by row.
    static func standardized(_ features: FeatureMatrix, mean: [Double], scale: [Double]) -> [Double] {
        let d = features.width
        return features.values.enumerated().map { index, value in (value - mean[index % d]) * scale[index % d] }
    }

    /// L and its gradient for the parameters x = [W (k x d row-major), b (k)].
    struct Objective {
        let z: [Double]
        let labels: [Int]
        let rows: Int
        let width: Int
        let classes: Int
        let l2: Double

        /// L(x), with dL/dx written to `gradient` (x.count entries).
        func evaluate(_ x: [Double], gradient: inout [Double]) -> Double {
            let (n, d, k) = (rows, width, classes)
            for i in gradient.indices { gradient[i] = 0 }
            var loss = 0.0
            var scores = [Double](repeating: 0, count: k)
            for i in 0..<n {
                for c in 0..<k {
                    var score = x[k * d + c]
                    for j in 0..<d { score += x[c * d + j] * z[i * d + j] }
                    scores[c] = score
                }
                let top = scores.max() ?? 0
                let sum = scores.reduce(0) { $0 + exp($1 - top) }
                let logSum = top + log(sum)
                loss += logSum - scores[labels[i]]
                for c in 0..<k {
                    // dL_i/dscore_c = p_ic - [y_i = c], each row weighted 1/n.
                    let residual = (exp(scores[c] - logSum) - (labels[i] == c ? 1 : 0)) / Double(n)
                    for j in 0..<d { gradient[c * d + j] += residual * z[i * d + j] }
                    gradient[k * d + c] += residual
                }
            }
            loss /= Double(n)
            for index in 0..<(k * d) {
                loss += l2 / 2 * x[index] * x[index]
                gradient[index] += l2 * x[index]
            }
            return loss
        }
    }

    /// L-BFGS with the two-loop recursion (Nocedal and Wright, Algorithm 7.4), the initial
    /// Hessian gamma I with gamma = s.y / y.y of the latest pair, and a backtracking line search
    /// from step 1 that halves until L(x + t p) <= L(x) + 1e-4 t g.p.
    static func minimize(
        _ objective: Objective, start: [Double], maximumIterations: Int, tolerance: Double
    ) -> (x: [Double], loss: Double, iterations: Int) {
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        var x = start
        var gradient = [Double](repeating: 0, count: x.count)
        var loss = objective.evaluate(x, gradient: &gradient)
        var pairs: [(s: [Double], y: [Double], rho: Double)] = []
        var iterations = 0
        while iterations < maximumIterations, (gradient.map(abs).max() ?? 0) > tolerance {
            // The direction -H g by the two-loop recursion.
            var q = gradient
            var alphas = [Double](repeating: 0, count: pairs.count)
            for m in pairs.indices.reversed() {
                alphas[m] = pairs[m].rho * dot(pairs[m].s, q)
                for i in q.indices { q[i] -= alphas[m] * pairs[m].y[i] }
            }
            if let last = pairs.last {
                let gamma = dot(last.s, last.y) / dot(last.y, last.y)
                for i in q.indices { q[i] *= gamma }
            }
            for m in pairs.indices {
                let beta = pairs[m].rho * dot(pairs[m].y, q)
                for i in q.indices { q[i] += (alphas[m] - beta) * pairs[m].s[i] }
            }
            var direction = q.map { -$0 }
            var slope = dot(gradient, direction)
            if !(slope < 0) {  // not a descent direction (rounding): restart from steepest descent
                pairs.removeAll()
                direction = gradient.map { -$0 }
                slope = dot(gradient, direction)
            }
            var step = 1.0
            var candidate = x
            var candidateGradient = gradient
            var candidateLoss = Double.infinity
            for _ in 0..<60 {
                for i in x.indices { candidate[i] = x[i] + step * direction[i] }
                candidateLoss = objective.evaluate(candidate, gradient: &candidateGradient)
                if candidateLoss <= loss + 1e-4 * step * slope { break }
                step /= 2
            }
            iterations += 1
            // No decrease at all: at the minimum to rounding.
            guard candidateLoss < loss else { break }
            let s = zip(candidate, x).map { $0 - $1 }
            let y = zip(candidateGradient, gradient).map { $0 - $1 }
            let curvature = dot(s, y)
            if curvature > 1e-12 * dot(s, s) {
                pairs.append((s, y, 1 / curvature))
                if pairs.count > memory { pairs.removeFirst() }
            }
            (x, gradient, loss) = (candidate, candidateGradient, candidateLoss)
        }
        return (x, loss, iterations)
    }
}
