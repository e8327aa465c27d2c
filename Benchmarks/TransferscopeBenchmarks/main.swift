import Foundation
import TransferscopeCore
import TransferscopeNN
import TransferscopeOptimizers

// Training and forward throughput of Transferscope's engine on one model, printed as one JSON
// line. `Benchmarks/run.sh` runs it beside the PyTorch peer (`pytorch_peer.py`) and compares.
//
// usage: TransferscopeBenchmarks MODEL MODE [--batch N] [--threads 2] [--seconds 10]
//   MODEL: resnet20 | resnet18   (3x32x32, batch 128; resnet18 is CIFAR-style: 3x3 stem, no max pool)
//        | resnet18-224 | resnet50-224   (torchvision's, 1000 classes, 3x224x224, batch 32)
//   MODE:  train (SGD step with momentum) | forward (evaluation mode)
//   --batch replaces the model's own batch size.
// or:    TransferscopeBenchmarks machine gemm [--threads 2]
//   the measured FMA peak (one core and all threads) and sgemm 1024^3 through the engine's BLAS
//   path, with the BLAS kernels in use: a slow kernel shows at once as a low fraction of the peak.
// or:    TransferscopeBenchmarks MODEL ab-train|ab-forward --kernels KEY=VALUE[,KEY=VALUE...] [--rounds R]
//   the default convolution kernels against another choice, steps interleaved in one process for R
//   rounds (default 10), best of each: this machine's speed drifts by 10-20% from minute to
//   minute, more than most kernel changes gain, and interleaving cancels the drift. Keys: direct,
//   avx512, directWeightGradient, directStrideTwo, directImageTiles, packedRows (0 or 1), maxDirect, maxDirectForward
//   (channels), and fixedShares=1: the chunks of work (convolutions, BatchNorm passes, the folded
//   model) in fixed equal shares per worker instead of to whichever worker is free.
//   e.g. TransferscopeBenchmarks resnet20 ab-train --kernels directWeightGradient=0

struct Options {
    var model = "resnet20"
    var mode = "train"
    /// nil: the model's own (`BenchmarkModel.batch`).
    var batch: Int?
    var threads = 2
    var seconds = 10.0
    /// Rounds of `ab-train` / `ab-forward` (two steps of each choice per round).
    var rounds = 10
    /// The other kernel choice of `ab-train` / `ab-forward`, as KEY=VALUE pairs.
    var kernels = ""

    init(_ arguments: [String]) {
        var positional: [String] = []
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a.hasPrefix("--") {
                guard i + 1 < arguments.count else { usageError("\(a) needs a value") }
                let v = arguments[i + 1]
                switch a {
                case "--batch":
                    guard let n = Int(v), n > 0 else { usageError("--batch takes a positive number, not \(v)") }
                    batch = n
                case "--threads":
                    guard let n = Int(v), (1...1024).contains(n) else {
                        usageError("--threads takes a number from 1 to 1024, not \(v)")
                    }
                    threads = n
                case "--seconds":
                    guard let t = Double(v), t > 0, t.isFinite else {
                        usageError("--seconds takes a positive number, not \(v)")
                    }
                    seconds = t
                case "--rounds":
                    guard let n = Int(v), n > 0 else { usageError("--rounds takes a positive number, not \(v)") }
                    rounds = n
                case "--kernels": kernels = v
                default: usageError("unknown option \(a)")
                }
                i += 2
            } else {
                positional.append(a)
                i += 1
            }
        }
        if positional.count > 0 { model = positional[0] }
        if positional.count > 1 { mode = positional[1] }
    }
}

/// A model the benchmark measures: the architecture, and the images and batch it is measured on.
struct BenchmarkModel {
    var configuration: ResNetConfiguration
    /// Images are `side` x `side` x the configuration's input channels.
    var side: Int
    /// The batch size unless `--batch` gives another.
    var batch: Int
    /// Untimed steps first (workspaces grow to size, caches fill), then at least `minimumSteps`
    /// timed ones however short `--seconds` is. At 224 one step is already 30-100x a CIFAR step
    /// (ResNet-50 training: seconds), so fewer of each keep the run short.
    var warmUpSteps = 2
    var minimumSteps = 3

    /// The models by their command-line name; `pytorch_peer.py` defines the same.
    static let all: [String: BenchmarkModel] = [
        "resnet20": BenchmarkModel(configuration: .named("resnet20")!, side: 32, batch: 128),
        "resnet18": BenchmarkModel(configuration: .named("resnet18", stem: .small)!, side: 32, batch: 128),
        "resnet18-224": BenchmarkModel(
            configuration: .named("resnet18", classes: 1000)!, side: 224, batch: 32, warmUpSteps: 1, minimumSteps: 2),
        "resnet50-224": BenchmarkModel(
            configuration: .named("resnet50", classes: 1000)!, side: 224, batch: 32, warmUpSteps: 1, minimumSteps: 2),
    ]
}

func peakResidentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return kb / 1024
    }
    return 0
}

/// conv-C-HW: one 3x3 stride-1 convolution C -> C channels on HWxHW images, forward and
/// backward, with the direct kernel and with im2col + sgemm interleaved (best of 12 each),
/// so that machine noise hits both alike.
func convolutionBenchmark(_ options: Options) {
    let parts = options.mode.split(separator: "-").compactMap { Int($0) }
    guard parts.count == 2, parts.allSatisfy({ $0 > 0 }) else { usageError("conv-C-HW, e.g. conv-16-32") }
    var g = RandomGenerator(seed: 1)
    let conv = Conv2d(inputChannels: parts[0], outputChannels: parts[0], kernelSize: 3, padding: 1, generator: &g)
    let batch = options.batch ?? 128
    let x = Tensor.randomNormal(shape: [batch, parts[1], parts[1], parts[0]], using: &g)
    let macs = Double(batch * parts[1] * parts[1] * 9 * parts[0] * parts[0])
    var best: [String: Double] = [:]
    for _ in 0..<12 {
        for direct in [true, false] {
            let kernels = ConvolutionKernels(direct: direct, maximumDirectInputChannels: 1 << 20)
            let (t0, t1, t2) = ConvolutionKernels.$current.withValue(kernels) {
                let y = conv.forward(x)
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = conv.forward(x)
                let t1 = DispatchTime.now().uptimeNanoseconds
                conv.backward(y)
                return (t0, t1, DispatchTime.now().uptimeNanoseconds)
            }
            let name = direct ? "direct" : "im2col"
            best[name + " forward GFLOP/s"] = max(best[name + " forward GFLOP/s"] ?? 0, 2 * macs / Double(t1 - t0))
            best[name + " backward GFLOP/s"] = max(best[name + " backward GFLOP/s"] ?? 0, 4 * macs / Double(t2 - t1))
        }
    }
    for key in best.keys.sorted() { print(options.mode, key, String(format: "%.1f", best[key]!)) }
}

/// wgrad-C-O-HW-K-S: the weight gradient alone of one KxK convolution C -> O channels with stride S
/// on HWxHW images (padding K/2), with the direct kernel (`WeightGradient`) and with im2col + sgemm
/// interleaved (best of 12 each).
func weightGradientBenchmark(_ options: Options) {
    let parts = options.mode.split(separator: "-").compactMap { Int($0) }
    guard parts.count == 5, parts.allSatisfy({ $0 > 0 }) else {
        usageError("wgrad-C-O-HW-K-S, e.g. wgrad-16-16-32-3-1")
    }
    let (c, o, side, k, s) = (parts[0], parts[1], parts[2], parts[3], parts[4])
    let g = ConvolutionGeometry(
        batch: options.batch ?? 128, inputHeight: side, inputWidth: side, inputChannels: c, outputChannels: o,
        kernelHeight: k, kernelWidth: k, stride: s, padding: k / 2)
    var generator = RandomGenerator(seed: 1)
    let x = (0..<(g.batch * g.inputImageSize)).map { _ in Float(generator.nextNormal()) }
    let dy = (0..<(g.batch * g.outputImageSize)).map { _ in Float(generator.nextNormal()) }
    let weight = [Float](repeating: 0.1, count: g.patchSize * o)
    var dw = [Float](repeating: 0, count: g.patchSize * o)
    let (columns, gradients) = (Workspace(), Workspace())
    var best: [String: Double] = [:]
    for _ in 0..<12 {
        for direct in [true, false] {
            let kernels = ConvolutionKernels(directWeightGradient: direct)
            let t0 = DispatchTime.now().uptimeNanoseconds
            ConvolutionKernels.$current.withValue(kernels) {
                Convolution.backward(
                    inputGradient: nil, weightGradient: &dw, biasGradient: nil, outputGradient: dy, input: x,
                    weight: weight, geometry: g, workspace: columns, gradientWorkspace: gradients)
            }
            let t1 = DispatchTime.now().uptimeNanoseconds
            let name = direct ? "direct" : "im2col"
            best[name] = max(best[name] ?? 0, 2 * Double(g.multiplyAdds) / Double(t1 - t0))
        }
    }
    for key in best.keys.sorted() { print(options.mode, key, "dW GFLOP/s", String(format: "%.1f", best[key]!)) }
}

/// The default kernels and schedule with the KEY=VALUE changes of `--kernels` applied.
func kernelChoice(_ text: String) -> (ConvolutionKernels, Parallel.ChunkSchedule) {
    var kernels = ConvolutionKernels.automatic
    var schedule = Parallel.ChunkSchedule.firstFree
    for pair in text.split(separator: ",") {
        let parts = pair.split(separator: "=").map(String.init)
        guard parts.count == 2, let value = Int(parts[1]) else {
            usageError("--kernels takes KEY=VALUE pairs, not \(pair)")
        }
        switch parts[0] {
        case "direct": kernels.direct = value != 0
        case "avx512":
            if value != 0 && !CPUFeatures.hasAVX512 { usageError("avx512=1 on a processor without AVX-512") }
            kernels.avx512 = value != 0
        case "directWeightGradient": kernels.directWeightGradient = value != 0
        case "directStrideTwo": kernels.directStrideTwo = value != 0
        case "directImageTiles": kernels.directImageTiles = value != 0
        case "packedRows": kernels.packedRows = value != 0
        case "maxDirect": kernels.maximumDirectInputChannels = value
        case "maxDirectForward": kernels.maximumDirectForwardInputChannels = value
        case "fixedShares": schedule = value != 0 ? .fixedShares : .firstFree
        default:
            usageError(
                "unknown kernel key \(parts[0]); known: direct, avx512, directWeightGradient, directStrideTwo, "
                    + "directImageTiles, packedRows, maxDirect, maxDirectForward, fixedShares"
            )
        }
    }
    return (kernels, schedule)
}

/// A model of `BenchmarkModel.all` with its batch of random images and labels, stepped by the
/// benchmarks: a training step (forward, loss, backward; the SGD update if `optimizer`) or an
/// inference pass.
final class BenchmarkRun {
    let definition: BenchmarkModel
    let batch: Int
    let model: ResNet
    let images: Tensor
    let labels: [Int]
    var logitsGradient: Tensor

    init(_ options: Options) {
        guard let definition = BenchmarkModel.all[options.model] else {
            usageError(
                "unknown model \(options.model); known: \(BenchmarkModel.all.keys.sorted().joined(separator: ", "))")
        }
        let configuration = definition.configuration
        self.definition = definition
        batch = options.batch ?? definition.batch
        var generator = RandomGenerator(seed: 0)
        model = ResNet(configuration, generator: &generator)
        images = Tensor.randomNormal(
            shape: [batch, definition.side, definition.side, configuration.inputChannels], using: &generator)
        labels = (0..<batch).map { $0 % configuration.classes }
        logitsGradient = Tensor(shape: [batch, configuration.classes])
    }

    func step(training: Bool, optimizer: SGD? = nil) {
        guard training else {
            _ = model.inference(images)
            return
        }
        model.zeroGradients()
        let logits = model.forward(images, training: true)
        _ = CrossEntropy.forwardBackward(
            logits: logits.unsafePointer, labels: labels, classes: definition.configuration.classes,
            logitsGradient: logitsGradient.unsafeMutablePointer)
        model.backward(logitsGradient)
        optimizer?.update(learningRate: 0.01)
    }
}

/// ab-train / ab-forward: images/s with the default kernels and with `--kernels`, two steps of each
/// in turn for `--rounds` rounds after one warm-up round, best and mean of each; one JSON line. Training
/// steps leave out the SGD update (it does not depend on the kernels), so both choices see the
/// same weights.
func kernelComparison(_ options: Options) throws {
    let run = BenchmarkRun(options)
    let training = options.mode == "ab-train"
    let choices = [
        ("default", (ConvolutionKernels.automatic, Parallel.ChunkSchedule.firstFree)),
        ("other", kernelChoice(options.kernels)),
    ]
    var best = [Double](repeating: 0, count: 2)
    var total = [Double](repeating: 0, count: 2)
    for round in 0...options.rounds {
        for (index, (_, (kernels, schedule))) in choices.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            ConvolutionKernels.$current.withValue(kernels) {
                Parallel.$chunkSchedule.withValue(schedule) {
                    for _ in 0..<2 { run.step(training: training) }
                }
            }
            // Round 0 warms both up.
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if round > 0 {
                best[index] = max(best[index], Double(2 * run.batch) / seconds)
                total[index] += seconds
            }
        }
    }
    let result: [String: Any] = [
        "engine": "transferscope", "model": options.model, "mode": options.mode, "threads": options.threads,
        "kernels": options.kernels, "default_images_per_second": best[0], "other_images_per_second": best[1],
        "other_over_default": best[1] / best[0], "rounds": options.rounds,
        "default_mean_images_per_second": Double(2 * run.batch * options.rounds) / total[0],
        "other_mean_images_per_second": Double(2 * run.batch * options.rounds) / total[1],
        "other_over_default_mean": total[0] / total[1],
    ]
    let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(data: data, encoding: .utf8)!)
}

/// One model's training or forward throughput, printed as one JSON line.
func modelBenchmark(_ options: Options) throws {
    let run = BenchmarkRun(options)
    let (definition, batch, configuration, model) = (run.definition, run.batch, run.definition.configuration, run.model)
    let optimizer = SGD(
        parameters: model.namedState.parameters,
        hyperparameters: .init(momentum: 0.9, weightDecay: 5e-4))
    func step() { run.step(training: options.mode == "train", optimizer: optimizer) }

    for _ in 0..<definition.warmUpSteps { step() }  // warm-up: workspaces grow to size, caches fill
    var steps = 0
    let start = DispatchTime.now().uptimeNanoseconds
    var elapsed = 0.0
    while elapsed < options.seconds || steps < definition.minimumSteps {
        step()
        steps += 1
        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    let imagesPerSecond = Double(steps * batch) / elapsed
    // Training counts 3x the forward pass: the forward, and the backward's input and weight gradients.
    let flopsPerImage =
        2 * configuration.forwardMultiplyAdds(imageSide: definition.side) * (options.mode == "train" ? 3 : 1)
    let result: [String: Any] = [
        "engine": "transferscope", "model": options.model, "mode": options.mode, "batch": batch,
        "side": definition.side, "threads": options.threads, "images_per_second": imagesPerSecond,
        "isa": CPUFeatures.hasAVX512 ? "avx512" : "avx2",
        "gflops": imagesPerSecond * flopsPerImage / 1e9, "peak_rss_mb": peakResidentMegabytes(), "steps": steps,
    ]
    let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(data: data, encoding: .utf8)!)
}

/// A usage mistake: says what is wrong and how the benchmark is called, and exits with status 2.
func usageError(_ message: String) -> Never {
    let usage = """
        usage: TransferscopeBenchmarks MODEL train|forward [--batch N] [--threads T] [--seconds S]
               TransferscopeBenchmarks MODEL ab-train|ab-forward --kernels KEY=VALUE,... [--rounds R]
               TransferscopeBenchmarks machine gemm [--threads T]
               TransferscopeBenchmarks x conv-C-HW | wgrad-C-O-HW-K-S [--batch N] [--threads T]
        MODEL: \(BenchmarkModel.all.keys.sorted().joined(separator: ", "))
        """
    FileHandle.standardError.write(Data("TransferscopeBenchmarks: \(message)\n\(usage)\n".utf8))
    exit(2)
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let modes = ["train", "forward", "ab-train", "ab-forward"]
if options.model == "machine" && options.mode != "gemm" {
    usageError("machine takes the mode gemm, not \(options.mode)")
}
if options.model != "x" && options.mode != "gemm" && !modes.contains(options.mode) {
    usageError("unknown mode \(options.mode)")
}
// TRANSFERSCOPE_DIRECT_CONV=0 and TRANSFERSCOPE_DIRECT_MAX_CHANNELS=N choose the convolution kernels
// (ConvolutionKernels.automatic).
if options.mode == "gemm" {
    let path = ComputePath.current
    let peak = MachinePeak.fmaGigaflops(threads: 1)
    let peakAll = MachinePeak.fmaGigaflops(threads: options.threads)
    let gemm = MachinePeak.sgemmGigaflops(size: 1024, threads: 1)
    let gemmAll = MachinePeak.sgemmGigaflops(size: 1024, threads: options.threads)
    let result: [String: Any] = [
        "engine": "transferscope", "model": "machine", "mode": "gemm", "threads": options.threads,
        "fma_peak_gflops": peak, "fma_peak_gflops_all": peakAll, "sgemm_gflops": gemm, "sgemm_gflops_all": gemmAll,
        "blas": "\(path.blas) \(path.blasCoreType) (\(path.blasCoreTypeSource))", "vector_bits": MachinePeak.vectorBits,
    ]
    let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(data: data, encoding: .utf8)!)
    exit(0)
}
// Kernels split their work across the given number of workers.
try Parallel.withWorkers(options.threads) {
    if options.mode.hasPrefix("ab-") {
        try kernelComparison(options)
    } else if options.mode.hasPrefix("wgrad") {
        weightGradientBenchmark(options)
    } else if options.mode.hasPrefix("conv") {
        convolutionBenchmark(options)
    } else {
        try modelBenchmark(options)
    }
}
