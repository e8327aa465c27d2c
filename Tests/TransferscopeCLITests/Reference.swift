import Foundation
import Testing
import TransferscopeCheckpoints
import TransferscopeIO

/// Expected values computed here from the files themselves, not by the code under test.
enum Reference {
    /// The module a torchvision key belongs to: `layerS.B`, `fc`, or `stem` (conv1, bn1).
    static func module(ofKey key: String) -> String {
        if key.hasPrefix("layer") { return key.split(separator: ".").prefix(2).joined(separator: ".") }
        return key.hasPrefix("fc.") ? "fc" : "stem"
    }

    /// Squared L2 distance per module between the trainable tensors (no BatchNorm buffers) of two
    /// checkpoints, read straight from their safetensors files.
    static func squaredDistances(_ a: String, _ b: String) throws -> [String: Double] {
        let (fileA, fileB) = (try SafeTensors(contentsOf: a), try SafeTensors(contentsOf: b))
        #expect(Set(fileA.entries.keys) == Set(fileB.entries.keys))
        var squared: [String: Double] = [:]
        for key in fileA.entries.keys where !key.contains("running_") && !key.contains("num_batches_tracked") {
            let x = try #require(fileA.floats(key)).values
            let y = try #require(fileB.floats(key)).values
            try #require(x.count == y.count, "\(key)")
            squared[module(ofKey: key), default: 0] += zip(x, y).reduce(0) {
                $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1))
            }
        }
        return squared
    }

    /// Squared L2 norm of the trainable tensors of a checkpoint.
    static func squaredNorm(_ path: String) throws -> Double {
        let file = try SafeTensors(contentsOf: path)
        return try file.entries.keys.filter { !$0.contains("running_") && !$0.contains("num_batches_tracked") }.reduce(
            0.0
        ) { total, key in
            total + (try #require(file.floats(key)).values.reduce(0) { $0 + Double($1) * Double($1) })
        }
    }

    /// The width of the interval around t = 0 where `values` stays within `tolerance` of its value
    /// at 0, the crossing found by linear interpolation between grid points.
    static func basinWidth(steps: [Double], values: [Double], tolerance: Double) throws -> Double {
        let zero = try #require(steps.firstIndex(of: 0))
        let limit = values[zero] + tolerance
        var width = 0.0
        for range in [Array((0..<zero).reversed()), Array((zero + 1)..<steps.count)] {
            var previous = zero
            var reach = range.last.map { abs(steps[$0]) } ?? 0
            for i in range {
                if values[i] > limit {
                    let fraction = (limit - values[previous]) / (values[i] - values[previous])
                    reach = abs(steps[previous] + fraction * (steps[i] - steps[previous]))
                    break
                }
                previous = i
            }
            width += reach
        }
        return width
    }

    /// The barrier of `values` along `lambdas`: the largest excess over the chord between the values
    /// at 0 and 1, over the points in [0, 1], and 0 when the path stays under it.
    static func barrier(lambdas: [Double], values: [Double]) throws -> Double {
        let start: Double = values[try #require(lambdas.firstIndex(of: 0))]
        let end: Double = values[try #require(lambdas.firstIndex(of: 1))]
        var highest = 0.0
        for (lambda, value) in zip(lambdas, values) where lambda >= 0 && lambda <= 1 {
            highest = max(highest, value - ((1 - lambda) * start + lambda * end))
        }
        return highest
    }
}
