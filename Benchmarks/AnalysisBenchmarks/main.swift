import Foundation
import TransferscopeAnalysis
import TransferscopeCore
import TransferscopeData
import TransferscopeNN

// The cost of the two heaviest analyses, with the time split into forward passes and the rest:
//   cka           CKA of every layer pair (stem, 9 blocks, pool: 11 x 11) of two resnet20 models
//                 over 10,000 images of 32x32x3, minibatches of 256 (--batch), unbiased linear HSIC
//   interpolation one curve of 21 points between two resnet20 models, BatchNorm re-estimated at
//                 each point (20 batches of 256), evaluated on 2,000 train and 2,000 test images
//   criticality   module criticality of a resnet20 against another (11 modules, the default grid:
//                 11 alphas, 5 sigmas, 2 draws) on 2,000 images
// Data: procedural images (nothing to install). Prints one JSON line per measurement.
// TRANSFERSCOPE_INFERENCE=reference runs the evaluations through the unfolded training graph.
// usage: AnalysisBenchmarks cka|interpolation|criticality [--threads 2] [--images 10000] [--points 21]

var mode = "cka"
var threads = 2
var images = 10_000
var batch = 256
var points = 21
let usage =
    "usage: AnalysisBenchmarks cka|interpolation|criticality [--threads T] [--images N] [--batch B] [--points P]"
/// A usage mistake: says what is wrong and how the benchmark is called, and exits with status 2.
func usageError(_ message: String) -> Never {
    FileHandle.standardError.write(Data("AnalysisBenchmarks: \(message)\n\(usage)\n".utf8))
    exit(2)
}
var arguments = Array(CommandLine.arguments.dropFirst())
while !arguments.isEmpty {
    let a = arguments.removeFirst()
    guard a.hasPrefix("--") else {
        guard ["cka", "interpolation", "criticality"].contains(a) else { usageError("unknown benchmark \(a)") }
        mode = a
        continue
    }
    guard let text = arguments.first, let value = Int(text), value > 0 else {
        usageError("\(a) takes a positive number, not \(arguments.first ?? "nothing")")
    }
    arguments.removeFirst()
    switch a {
    case "--threads":
        guard value <= 1024 else { usageError("--threads takes at most 1024, not \(value)") }
        threads = value
    case "--images": images = value
    case "--batch": batch = value
    case "--points":
        guard value >= 3 else { usageError("--points takes 3 or more (the curve needs 0, 1 and a point between)") }
        points = value
    default: usageError("unknown option \(a)")
    }
}

func model(seed: UInt64) -> ResNet {
    var generator = RandomGenerator(seed: seed)
    return ResNet(ResNetConfiguration.named("resnet20", inputChannels: 3, classes: 10)!, generator: &generator)
}

// Kernels and the analyses' sums split their work across `threads` workers.
try Parallel.withWorkers(threads) {
    let data = ProceduralDataset(side: 32, channels: 3, seed: 1).splits(
        train: mode == "cka" ? 16 : 6000, test: mode == "cka" ? images : 2000)
    let preprocessing = Preprocessing(side: 32, channels: 3, normalization: .statistics(of: data.train))
    let (a, b) = (model(seed: 1), model(seed: 2))
    let start = Date()
    switch mode {
    case "cka":
        let test = preprocessing.prepare(data.test)
        let layers = FeatureSimilarity.defaultLayers(of: a, everyBlock: true)
        let result = try FeatureSimilarity.compute(
            a, b, images: test, layersA: layers, layersB: layers, batchSize: batch)
        let total = Date().timeIntervalSince(start)
        print(
            String(
                format:
                    #"{"benchmark":"cka","pairs":%d,"images":%d,"batch":\#(batch),"threads":%d,"seconds":%.2f"#
                    + #","forward_seconds":%.2f,"cka_seconds":%.2f,"cka_fraction":%.3f}"#,
                layers.count * layers.count, result.samples, threads, total, result.forwardSeconds, result.ckaSeconds,
                result.ckaSeconds / total))
    case "interpolation":
        let interpolation = Interpolation(
            train: preprocessing.prepare(data.train), test: preprocessing.prepare(data.test), trainSubset: 2000,
            batchNorm: .reestimate,
            estimationBatches: 20, batchSize: 256)
        let prepared = Date().timeIntervalSince(start)
        let curve = try interpolation.curve(a, b, lambdas: Interpolation.grid(count: points))
        let total = Date().timeIntervalSince(start) - prepared
        let t = curve.timing
        print(
            String(
                format:
                    #"{"benchmark":"interpolation","points":\#(points),"path":"\#(InferencePath.current)","threads":%d"#
                    + #","seconds":%.2f"#
                    + #","forward_seconds":%.2f,"statistics_seconds":%.2f,"evaluation_seconds":%.2f"#
                    + #","weight_seconds":%.3f,"other_fraction":%.3f}"#,
                threads, total, t.forwardSeconds, t.statisticsSeconds, t.evaluationSeconds, t.weightSeconds,
                (total - t.forwardSeconds) / total))
    case "criticality":
        let set = EvaluationSet(preprocessing.prepare(data.train), indices: Array(0..<2000))
        let result = try ModuleCriticality.measure(final: a, start: b, data: set)
        let total = Date().timeIntervalSince(start)
        let feasible = result.modules.filter { $0.criticality != nil }.count
        print(
            String(
                format: #"{"benchmark":"criticality","modules":%d,"feasible":%d,"path":"\#(InferencePath.current)""#
                    + #","threads":%d,"seconds":%.2f,"final_error":%.4f}"#,
                result.modules.count, feasible, threads, total, result.finalError))
    default:
        usageError("unknown benchmark \(mode)")
    }
}
